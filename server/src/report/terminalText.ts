// Text that comes from outside (file names, symbol names, messages quoting the input) is shown on
// terminals: its control characters are made visible so that it cannot move the cursor, clear the
// screen, recolour the output or set the window title.

/**
 * C0 controls (ESC, BEL, CR, tab...), DEL, C1 controls (U+009B is a one-character CSI for some
 * terminals), the Unicode line and paragraph separators, and the bidirectional controls that can
 * make a name read differently from what it is.
 */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control character written as `\xHH` (or `\uHHHH` above U+00FF). */
export function escapeControlCharacters(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (character) => {
    const code = character.charCodeAt(0);
    const hex = code.toString(16).toUpperCase();
    return code <= 0xff ? `\\x${hex.padStart(2, '0')}` : `\\u${hex.padStart(4, '0')}`;
  });
}
