// A tiny static server for the demo: serves the repository root so that www/ can import
// ../pkg-js/... as plain ES modules (no bundler), with the MIME types browsers insist on
// (`application/wasm` for streaming compilation, `text/javascript` for module scripts).
//
//   node e2e/serve.mjs [--port 8080] [--host 127.0.0.1]     prints the demo URL
//
// Also `import { startServer } from "./serve.mjs"` (the Playwright test uses port 0).
import { createServer } from "node:http";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
};

/**
 * Starts the server; resolves to `{ url, server, close() }` once listening.
 * @param {{ port?: number, host?: string, root?: string, quiet?: boolean }} [opts]
 */
export function startServer({ port = 8080, host = "127.0.0.1", root = ROOT, quiet = true } = {}) {
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, "http://localhost");
      if (url.pathname === "/") {
        res.writeHead(302, { location: "/www/" });
        return res.end();
      }
      let decoded;
      try {
        decoded = decodeURIComponent(url.pathname);
      } catch {
        res.writeHead(400, { "content-type": "text/plain" }).end("malformed path");
        return undefined;
      }
      let path = normalize(join(root, decoded));
      if (path !== root && !path.startsWith(root + sep)) {
        res.writeHead(403).end("forbidden");
        return undefined;
      }
      let info = await stat(path).catch(() => null);
      if (info?.isDirectory()) {
        path = join(path, "index.html");
        info = await stat(path).catch(() => null);
      }
      if (!info?.isFile()) {
        res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${url.pathname}`);
        return undefined;
      }
      res.writeHead(200, {
        "content-type": MIME[extname(path)] ?? "application/octet-stream",
        "content-length": info.size,
        // Always fresh: a rebuilt package must never be served from a stale cache.
        "cache-control": "no-store",
      });
      if (req.method === "HEAD") return res.end();
      createReadStream(path).pipe(res);
      if (!quiet) console.log(`${req.method} ${url.pathname}`);
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
    return undefined;
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      const url = `http://${host}:${actual}`;
      resolvePromise({ url, server, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : dflt;
  };
  const { url } = await startServer({ port: Number(arg("port", process.env.PORT ?? 8080)), host: arg("host", "127.0.0.1") });
  console.log(`lindy demo: ${url}/www/   (serving ${ROOT}; Ctrl-C to stop)`);
}
