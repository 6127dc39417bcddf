/**
 * The collector's lines for what its background stages report. Each is said
 * once in a row: an outage retried every few seconds must not flood the log.
 */

function onceInARow(line: (message: string) => string): (error: Error) => void {
  let last = '';
  return (error) => {
    if (error.message === last) return;
    last = error.message;
    console.error(`[oversight] ${line(error.message)}`);
  };
}

/** The drain's: every error it reports is an insert it will retry. */
export const reportDrainError = () =>
  onceInARow((message) => `writing to ClickHouse failed, will retry: ${message}`);

/**
 * The trace stage's, which say what happened themselves: traces left unscored
 * at shutdown, or dropped behind a write backlog, are no failed write.
 */
export const reportTraceStage = () =>
  onceInARow((message) => (message.startsWith('trace stage: ') ? message : `trace stage: ${message}`));

/** The resent-request journal's, said once: requests keep being taken without it. */
export const reportResentJournal = () => onceInARow((message) => message);

/**
 * The drain's dead letters, one line a round: data of acknowledged requests
 * that will not be stored is news every time, unlike a retried outage.
 */
export function reportDeadLetters(letters: readonly { reason: string }[], path: string): void {
  const n = letters.length;
  console.error(
    `[oversight] ${n} accepted request${n === 1 ? '' : 's'} set aside in ${path} (not stored, or not whole): ${letters[0]?.reason}`,
  );
}
