/**
 * Fails, in words an operator acts on, when a server cannot listen on
 * host:port (the system's "listen EADDRINUSE: address already in use" says
 * neither what to do nor which setting it was).
 */
export function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE')
    return new Error(
      `port ${port} on ${host} is already in use (another collector?): stop that process, or pass another --port`,
      { cause: error },
    );
  if (code === 'EADDRNOTAVAIL')
    return new Error(`cannot listen on --host ${host}: not an address of this machine`, { cause: error });
  if (code === 'EACCES')
    return new Error(`not allowed to listen on port ${port}: pass a --port above 1023`, { cause: error });
  return error;
}
