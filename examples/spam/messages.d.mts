// Types for the spam generator, so TypeScript scripts and tests can import it.
export const SPAM_WORDS: string[];
export const HAM_WORDS: string[];
export function messages(count: number, seed?: number): { id: string; text: string; spam: boolean }[];
