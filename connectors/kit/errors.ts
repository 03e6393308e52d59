/**
 * Errors are classified once, here (DESIGN §3): the engine only asks `kind` to decide retry, fail the stream, or
 * put the loader into `error`.
 * - retryable: 429, 5xx, network failures, timeouts — retry the chunk with delay, bounded.
 * - configuration: credentials rejected (after one refresh), permission denied, object missing, invalid config —
 *   the stream fails and the loader goes to `error` with this message.
 * - data: a record or page that cannot be parsed or written — the stream fails; the loader stays active.
 */
export type ConnectorErrorKind = "retryable" | "configuration" | "data";

export class ConnectorError extends Error {
  override readonly name = "ConnectorError";
  constructor(
    readonly kind: ConnectorErrorKind,
    message: string,
    readonly details: { status?: number; retryAfterSeconds?: number; url?: string } = {},
  ) {
    super(message);
  }
}

/**
 * Why a TLS handshake from a Worker fails, for messages: workerd checks every certificate against public CAs and
 * the host name, whatever the driver's ssl mode, and tells JavaScript only "internal error" when it refuses one.
 */
export const TLS_REFUSED_HINT = "Workers accept a certificate only from a publicly trusted CA and for the host name configured";

export function isConnectorError(error: unknown): error is ConnectorError {
  return error instanceof ConnectorError;
}
