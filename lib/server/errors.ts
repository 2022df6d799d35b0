// The server's errors: each becomes a status and a JSON body { error } that names the problem (Triton's shape).
import { QueueFullError } from '../inference/batcher.js';

/** An error whose status the route chose. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The request's deadline passed: its work, if still queued, has been dropped. */
export class RequestTimeoutError extends HttpError {
  constructor(timeoutMs: number) {
    super(504, `the request was not answered within requestTimeoutMs = ${timeoutMs}`);
  }
}

/** Status, headers and message of any error a route throws. */
export function httpError(error: unknown): { statusCode: number; headers: Record<string, string>; message: string } {
  if (error instanceof HttpError) return { statusCode: error.statusCode, headers: error.headers, message: error.message };
  // After a queue-full answer, one batch's time is a fair wait; the header takes whole seconds.
  if (error instanceof QueueFullError) return { statusCode: 503, headers: { 'retry-after': '1' }, message: error.message };
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  // fastify's own: 400 (bad JSON), 413 (body too large), 415 (content type), ...
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { statusCode, headers: {}, message: (error as Error).message };
  }
  return { statusCode: 500, headers: {}, message: `internal error: ${(error as Error)?.message ?? String(error)}` };
}
