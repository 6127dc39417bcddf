/**
 * The one check of a collector endpoint, wherever it comes from: the
 * `endpoint` option of init() and feedback(), OVERSIGHT_ENDPOINT. Without
 * zod, so that an app configured from the environment loads none at start.
 */

export const ENDPOINT_PROBLEM = 'expected an http:// or https:// URL';

/**
 * What is wrong with an endpoint, or undefined: http(s) only. "localhost:4318"
 * is a valid URL of scheme "localhost:", and "grpc://…" is OTLP over gRPC,
 * which the SDK does not speak; either failed on every export and every
 * rating, in a line that did not say why.
 */
export function endpointProblem(endpoint: string): string | undefined {
  let protocol: string;
  try {
    protocol = new URL(endpoint).protocol;
  } catch {
    return ENDPOINT_PROBLEM;
  }
  return protocol === 'http:' || protocol === 'https:' ? undefined : ENDPOINT_PROBLEM;
}

/**
 * The collector the spans go to and what named it: the option, else
 * OVERSIGHT_ENDPOINT (empty counts as unset); undefined leaves the exporter to
 * the standard OTEL_EXPORTER_OTLP_* variables.
 */
export function spanEndpoint(
  option: string | undefined,
  env: Record<string, string | undefined>,
): { endpoint: string; from: string } | undefined {
  if (option !== undefined) return { endpoint: option, from: 'endpoint' };
  const named = env.OVERSIGHT_ENDPOINT;
  return named ? { endpoint: named, from: 'OVERSIGHT_ENDPOINT' } : undefined;
}

/** What is wrong with the spans' endpoint, naming where it came from ("OVERSIGHT_ENDPOINT: expected …"). */
export function spanEndpointProblem(
  option: string | undefined,
  env: Record<string, string | undefined>,
): string | undefined {
  const named = spanEndpoint(option, env);
  const problem = named && endpointProblem(named.endpoint);
  return problem && `${named.from}: ${problem}`;
}
