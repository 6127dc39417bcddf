/**
 * Follow-ups a user asks about whatever was said before, none naming its
 * subject: what tools/topics/follow-ups.ts and conversations.ts put after
 * questions of a `{text, intent}` set.
 */
export const FOLLOW_UPS: readonly string[] = [
  'how long does that take?',
  'is that free?',
  'why is that?',
  'can you explain that again?',
  "what if it doesn't work?",
  'and how do I do that?',
  'ok, and then what?',
  'is it the same on weekends?',
  'does that apply to my partner too?',
  'how much does it cost?',
  'are you sure?',
  'can I do it online?',
  'what about tomorrow?',
  'where do I find that?',
  'thanks! and if that fails?',
];
