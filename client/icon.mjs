// Draws client/icon.png (128×128, the Marketplace icon): a chip with a warning triangle, i.e.
// "this instruction is a hazard for the hypervisor". Plain Node (zlib), no image libraries.
//   node client/icon.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const SIZE = 128;
const SAMPLES = 4; // supersampling per axis, for smooth edges

const BACKGROUND = [30, 42, 68];
const CHIP = [200, 208, 222];
const CHIP_DARK = [52, 66, 98];
const WARNING = [245, 166, 35];
const MARK = [30, 42, 68];

function roundedRect(x, y, cx, cy, half, radius) {
  const dx = Math.max(Math.abs(x - cx) - (half - radius), 0);
  const dy = Math.max(Math.abs(y - cy) - (half - radius), 0);
  return Math.hypot(dx, dy) <= radius;
}

function inTriangle(x, y, ax, ay, bx, by, cx, cy) {
  const sign = (px, py, qx, qy, rx, ry) => (px - rx) * (qy - ry) - (qx - rx) * (py - ry);
  const d1 = sign(x, y, ax, ay, bx, by);
  const d2 = sign(x, y, bx, by, cx, cy);
  const d3 = sign(x, y, cx, cy, ax, ay);
  return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
}

/** Colour of one sample point, painter's order; undefined = transparent. */
function colourAt(x, y) {
  if (!roundedRect(x, y, 64, 64, 62, 18)) return undefined;
  let colour = BACKGROUND;
  // pins on all four sides
  for (let i = 0; i < 4; i++) {
    const offset = 40 + i * 16;
    if (Math.abs(x - offset) <= 3 && (Math.abs(y - 24) <= 12 || Math.abs(y - 104) <= 12)) colour = CHIP;
    if (Math.abs(y - offset) <= 3 && (Math.abs(x - 24) <= 12 || Math.abs(x - 104) <= 12)) colour = CHIP;
  }
  if (roundedRect(x, y, 64, 64, 38, 6)) colour = CHIP;
  if (roundedRect(x, y, 64, 64, 32, 4)) colour = CHIP_DARK;
  if (inTriangle(x, y, 64, 38, 38, 86, 90, 86)) colour = WARNING;
  // exclamation mark
  if (Math.abs(x - 64) <= 3.2 && y >= 52 && y <= 72) colour = MARK;
  if (Math.hypot(x - 64, y - 79) <= 3.6) colour = MARK;
  return colour;
}

const rows = [];
for (let py = 0; py < SIZE; py++) {
  const row = Buffer.alloc(1 + SIZE * 4);
  for (let px = 0; px < SIZE; px++) {
    let r = 0, g = 0, b = 0, a = 0;
    for (let sy = 0; sy < SAMPLES; sy++) {
      for (let sx = 0; sx < SAMPLES; sx++) {
        const c = colourAt(px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES);
        if (!c) continue;
        r += c[0]; g += c[1]; b += c[2]; a += 1;
      }
    }
    const o = 1 + px * 4;
    if (a > 0) {
      row[o] = Math.round(r / a); row[o + 1] = Math.round(g / a); row[o + 2] = Math.round(b / a);
    }
    row[o + 3] = Math.round((255 * a) / (SAMPLES * SAMPLES));
  }
  rows.push(row);
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buffer) {
  let c = 0xffffffff;
  for (const byte of buffer) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header[8] = 8; // bit depth
header[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const target = new URL('./icon.png', import.meta.url);
writeFileSync(target, png);
console.log(`wrote ${target.pathname} (${png.length} bytes)`);
