// Seeded labelled messages for the spam example: the same seed always gives the same messages.
import { random } from "../lib/corpus.mjs";

/** Words that mostly appear in spam, and words that mostly appear in ordinary mail ("ham"). */
export const SPAM_WORDS = ["free", "winner", "cash", "prize", "claim", "offer", "urgent", "credit", "loan", "bonus", "click", "guaranteed"];
export const HAM_WORDS = ["meeting", "tomorrow", "lunch", "project", "report", "thanks", "family", "weekend", "schedule", "review", "dinner", "notes"];
const COMMON = (
  "the a you your to and is for this now today please we our new time just get on with it be at if can " +
  "will are have from all my me so up out about what there when one more see know here"
).split(" ");

/**
 * `count` messages {id, text, spam} of 8-20 words. About 40% are spam. A spam message draws each
 * word from the spam words with probability 0.35 (ham words 0.02), a ham message from the ham words
 * with probability 0.3 (spam words 0.02), the rest from common words; 1% of labels are flipped
 * (noise), so no model can be perfect on them. "More spam words than ham words" scores about 0.976.
 */
export function messages(count, seed = 1) {
  const next = random(seed);
  const pick = (list) => list[Math.floor(next() * list.length)];
  const out = [];
  for (let i = 0; i < count; i++) {
    const spam = next() < 0.4;
    const [own, other, pOwn, pOther] = spam ? [SPAM_WORDS, HAM_WORDS, 0.35, 0.02] : [HAM_WORDS, SPAM_WORDS, 0.3, 0.02];
    const words = [];
    const length = 8 + Math.floor(next() * 13);
    for (let w = 0; w < length; w++) {
      const r = next();
      words.push(r < pOwn ? pick(own) : r < pOwn + pOther ? pick(other) : pick(COMMON));
    }
    const noisy = next() < 0.01;
    out.push({ id: `m${seed}-${i}`, text: words.join(" "), spam: noisy ? !spam : spam });
  }
  return out;
}
