import { createServer } from "node:net";

/**
 * Asks the kernel for a free TCP port on loopback. The port is released before it is returned,
 * so another process could take it in between; callers that can use port 0 directly should.
 * Needed where ports must be known before a process starts (cluster routes, restarts on the same port).
 */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not read the port of a loopback listener"));
      });
    });
  });
}
