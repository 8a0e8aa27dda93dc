/** Plain-text rendering of API answers for people; `--json` prints the answers themselves. */

type Row = Record<string, unknown>;

function cell(value: unknown): string {
  if (value === undefined || value === null) return '-';
  return String(value);
}

/** A table with a header row, columns padded to their widest cell. */
export function table(columns: ReadonlyArray<[header: string, pick: (row: Row) => unknown]>, rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map(([, pick]) => cell(pick(row))));
  const widths = columns.map(([header], i) => Math.max(header.length, ...cells.map((line) => (line[i] as string).length)));
  const render = (line: readonly string[]) =>
    line.map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i] as number))).join('  ');
  return [render(columns.map(([header]) => header)), ...cells.map(render)].join('\n');
}

/** The id of a revocation under whichever claim name it carries. */
export function idOf(record: Row): unknown {
  return record.jti ?? record.sid ?? record.sub;
}

export function revocationTable(items: readonly Row[]): string {
  if (items.length === 0) return 'no revocations';
  return table(
    [
      ['TYPE', (r) => r.type],
      ['ID', idOf],
      ['SUB', (r) => (r.type === 'subject' ? undefined : r.sub)],
      ['REVOKED BY', (r) => r.revokedBy],
      ['REVOKED AT', (r) => r.revokedAt],
      ['EXPIRES', (r) => r.expiresAt],
      ['REASON', (r) => r.reason],
    ],
    items,
  );
}

export function revocationDetails(record: Row): string {
  const order = ['type', 'jti', 'sid', 'sub', 'exp', 'before', 'reason', 'revokedBy', 'revokedAt', 'expiresAt', 'offset'];
  return order
    .filter((key) => record[key] !== undefined)
    .map((key) => `${`${key}:`.padEnd(11)}${cell(record[key])}`)
    .join('\n');
}

export function verifierTable(listing: { head: { epoch: string | null; offset: number }; verifiers: Row[] }): string {
  const head = `head: offset ${listing.head.offset}${listing.head.epoch === null ? ' (no history yet)' : ` of epoch ${listing.head.epoch}`}`;
  if (listing.verifiers.length === 0) return `${head}\nno live verifiers`;
  const lag = (r: Row) => r.lag as { offsets: number | null; seconds: number | null };
  return `${head}\n${table(
    [
      ['ID', (r) => r.id],
      ['HOST', (r) => r.host],
      ['SDK', (r) => r.sdkVersion],
      ['STATE', (r) => r.state],
      ['OFFSET', (r) => r.offset],
      ['LAG', (r) => (lag(r).offsets === null ? 'reloading' : lag(r).offsets)],
      ['LAG S', (r) => lag(r).seconds],
      ['LAST SYNC', (r) => r.lastSyncAt],
    ],
    listing.verifiers,
  )}`;
}

export function changeLine(change: Row): string {
  const extra = change.op === 'revoke' ? ` until ${cell(change.expiresAt)}` : '';
  return `${cell(change.at)}  offset ${cell(change.offset)}  ${cell(change.op)} ${cell(change.type)} ${cell(change.id)}${extra}`;
}
