'use strict';
// Parses what the harness printed on port 0xE9 and offers the checks cases judge with.

/** @typedef {{type:string, cpl?:number, name?:string, value?:bigint, vec?:number, err?:bigint, ip?:bigint, kind?:string, nr?:bigint, regs?:Record<string,bigint>, bytes?:Buffer, text?:string}} HarnessEvent */

function parseOutput(text) {
  /** @type {HarnessEvent[]} */
  const events = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const f = line.split(/\s+/);
    switch (f[0]) {
      case 'R':
        events.push({ type: 'R', cpl: Number(f[1]), name: f[2], value: BigInt('0x' + f[3]) });
        break;
      case 'X':
        events.push({ type: 'X', cpl: Number(f[1]), vec: parseInt(f[2], 16), err: BigInt('0x' + f[3]), ip: BigInt('0x' + f[4]) });
        break;
      case 'M':
        events.push({ type: 'M', cpl: Number(f[1]), kind: f[2], ip: BigInt('0x' + f[3]), nr: f[4] === undefined ? undefined : BigInt('0x' + f[4]) });
        break;
      case 'G':
        events.push({ type: 'G', cpl: Number(f[1]), vec: parseInt(f[2], 16) });
        break;
      case 'D': {
        const regs = {};
        for (const kv of f.slice(3)) {
          const [k, v] = kv.split('=');
          regs[k] = BigInt('0x' + v);
        }
        events.push({ type: 'D', cpl: Number(f[1]), name: f[2], regs });
        break;
      }
      case 'B':
        events.push({ type: 'B', cpl: Number(f[1]), name: f[2], bytes: Buffer.from(f[3] ?? '', 'hex') });
        break;
      case 'E':
        events.push({ type: 'E', sregs: { ds: parseInt(f[1], 16), es: parseInt(f[2], 16), fs: parseInt(f[3], 16), gs: parseInt(f[4], 16) } });
        break;
      case 'END':
        events.push({ type: 'END' });
        break;
      case 'FATAL':
        events.push({ type: 'FATAL', text: f.slice(1).join(' ') });
        break;
      case 'S':
        events.push({ type: 'S', text: f.slice(1).join(' ') });
        break;
      default:
        events.push({ type: '?', text: line });
    }
  }
  return events;
}

const VECTOR_NAMES = { 0: '#DE', 1: '#DB', 3: '#BP', 6: '#UD', 8: '#DF', 13: '#GP', 14: '#PF' };

function hex(v) {
  return '0x' + BigInt(v).toString(16);
}

/** Collects failed expectations for one case run; every lookup that misses is itself a failure. */
class Judge {
  /** `model`: the id of the CPU model that printed the events (`qemu-tcg`, `bochs`). */
  constructor(events, bits, model = 'qemu-tcg') {
    this.events = events;
    this.bits = bits;
    this.model = model;
    /** Behaviour the SDM leaves open or a model may lack, by key: compared across models. */
    this.behaviours = {};
    this.mask = bits === 64 ? (1n << 64n) - 1n : (1n << 32n) - 1n;
    this.sentinel = bits === 64 ? 0xa5a5a5a5a5a5a5a5n : 0xa5a5a5a5n;
    /** @type {string[]} */
    this.failures = [];
    if (!events.some((e) => e.type === 'END')) this.fail('the run did not reach END');
    for (const e of events) {
      if (e.type === 'FATAL') this.fail('harness: ' + e.text);
      if (e.type === '?') this.fail('unparsed output: ' + e.text);
    }
  }

  fail(message) {
    this.failures.push(message);
  }

  /**
   * Records what this model did where models may legitimately differ (an encoding the SDM
   * leaves open, a feature a model lacks). The bench lists every key whose value differs
   * between models, with each model's `text`.
   */
  behaviour(key, value, text) {
    this.behaviours[key] = { value: String(value), text };
  }

  expect(condition, message) {
    if (!condition) this.fail(message);
    return condition;
  }

  /** The value of report `name` made at `cpl` (first one); a failure when missing. */
  r(name, cpl) {
    const found = this.events.find((e) => e.type === 'R' && e.name === name && (cpl === undefined || e.cpl === cpl));
    if (!found) {
      this.fail(`missing report ${name}${cpl === undefined ? '' : ' at CPL ' + cpl}`);
      return -1n;
    }
    return found.value;
  }

  dump(name, cpl) {
    const found = this.events.find((e) => e.type === 'D' && e.name === name && (cpl === undefined || e.cpl === cpl));
    if (!found) {
      this.fail(`missing register dump ${name}`);
      return undefined;
    }
    return found.regs;
  }

  bytes(name, cpl) {
    const found = this.events.find((e) => e.type === 'B' && e.name === name && (cpl === undefined || e.cpl === cpl));
    if (!found) {
      this.fail(`missing memory dump ${name}`);
      return undefined;
    }
    return found.bytes;
  }

  /** Unclaimed exceptions (X lines). */
  faults() {
    return this.events.filter((e) => e.type === 'X');
  }

  /** The exception raised at the address reported as `ipName`, or undefined. */
  faultAt(ipName) {
    const ip = this.r(ipName);
    return this.faults().find((e) => e.ip === ip);
  }

  /** Expects exactly vector `vec` (and error code `err` when given) at the address reported as `ipName`. */
  expectFault(ipName, vec, err, what) {
    const f = this.faultAt(ipName);
    if (!f) {
      this.fail(`${what}: expected ${VECTOR_NAMES[vec] ?? vec} at ${ipName}, but it ran without a fault`);
      return undefined;
    }
    this.expect(f.vec === vec, `${what}: expected vector ${vec}, saw ${f.vec}`);
    if (err !== undefined) this.expect(f.err === BigInt(err), `${what}: expected error code ${hex(err)}, saw ${hex(f.err)}`);
    return f;
  }

  /** Expects no exception at the address reported as `ipName`. */
  expectNoFault(ipName, what) {
    const f = this.faultAt(ipName);
    this.expect(!f, `${what}: unexpected ${f ? (VECTOR_NAMES[f.vec] ?? f.vec) : ''} at ${ipName}`);
  }

  /** Every X line must be one the case predicted (by reported address). */
  expectOnlyFaultsAt(ipNames) {
    const allowed = new Set(ipNames.map((n) => this.r(n)));
    for (const f of this.faults()) {
      this.expect(allowed.has(f.ip), `unexpected exception vector ${f.vec} err ${hex(f.err)} at ${hex(f.ip)} (CPL ${f.cpl})`);
    }
  }

  monitorEvents(kind) {
    return this.events.filter((e) => e.type === 'M' && (kind === undefined || e.kind === kind));
  }

  gates(vec, cpl) {
    return this.events.filter((e) => e.type === 'G' && e.vec === vec && (cpl === undefined || e.cpl === cpl));
  }
}

function faultText(f) {
  if (!f) return 'no fault';
  return `${VECTOR_NAMES[f.vec] ?? 'vector ' + f.vec}(${hex(f.err)})`;
}

module.exports = { parseOutput, Judge, hex, faultText, VECTOR_NAMES };
