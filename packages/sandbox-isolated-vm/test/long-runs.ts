// Guest programs shared by the tests of runs past their answered tool results (the adapter's
// unanswered deliveries): calls well past that number, and work queued behind a run's end.

/** 40 sequential calls of `ping`; leaves `sum` = 780. */
export const fortyCalls = 'let sum = 0;\nfor (let i = 0; i < 40; i++) sum += await ping({ i });';

/**
 * 1.5 s of spinning at the end of a promise chain long enough to run after the run's promise has
 * settled (a shorter chain runs before it: the run's promise settles a few microtasks after the
 * program returns).
 */
export const spinBehindTheEnd = 'let tail = Promise.resolve();\nfor (let k = 0; k < 20; k++) tail = tail.then(() => 0);\ntail.then(() => { const until = Date.now() + 1500; while (Date.now() < until) {} });';
