/** The longest reaction in UTF-16 units: a family or a flag with modifiers fits; prose does not. */
const MAX_UNITS = 32;

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * What starts an emoji grapheme: a pictographic character (with its modifiers, variation selectors and
 * zero-width joiners in the same grapheme), a flag (two regional indicators) or a keycap.
 */
const EMOJI_START = /^(?:\p{Extended_Pictographic}|\p{Regional_Indicator}{2}|[0-9#*]\uFE0F?\u20E3)/u;

/** Whether the text is exactly one emoji: one user-perceived character (grapheme) from the emoji set. */
export function isSingleEmoji(text: string): boolean {
  if (text.length === 0 || text.length > MAX_UNITS) return false;
  const graphemes = [...segmenter.segment(text)];
  return graphemes.length === 1 && EMOJI_START.test(text);
}
