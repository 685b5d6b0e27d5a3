// A small read-only HTTP server for public/ (GET and HEAD, Range, ETag, Last-Modified, conditional
// requests) with a common-log-format access log on stderr. Nothing outside public/ can be reached:
// '..' segments are refused after percent-decoding and every path is resolved with realpath and must
// stay inside public/ (a symlink pointing out of it is a 404).
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, sep } from 'node:path';

export interface ServeOptions {
  publicDir: string;
  host: string;
  port: number;
  /** Where access log lines go (default: stderr). */
  accessLog?: (line: string) => void;
}

export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

function contentType(path: string): string {
  if (/(^|\/)(Release|InRelease|Packages|Sources|[^/]*\.(asc|sources|txt|dsc|changes))$/.test(path)) return 'text/plain; charset=utf-8';
  if (path.endsWith('.gz')) return 'application/gzip';
  if (path.endsWith('.xz')) return 'application/x-xz';
  if (/\.u?deb$/.test(path)) return 'application/vnd.debian.binary-package';
  return 'application/octet-stream';
}

/** The file a request path names inside root, or undefined when it is outside or not a plain file. */
export async function resolveInside(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..')) return undefined;
  const realRoot = await realpath(root);
  let real: string;
  try {
    real = await realpath(join(realRoot, ...segments));
  } catch {
    return undefined;
  }
  if (real !== realRoot && !real.startsWith(realRoot + sep)) return undefined;
  return real;
}

function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // multi-range or malformed: serve it all
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/** Answers one request; returns the status and the body length (for the access log). */
async function handle(root: string, req: IncomingMessage, res: ServerResponse): Promise<[number, number]> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return [405, 0];
  }
  const urlPath = (req.url ?? '/').split('?')[0]!;
  const file = await resolveInside(root, urlPath);
  const st = file ? await stat(file).catch(() => undefined) : undefined;
  if (!file || !st || !st.isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end(req.method === 'HEAD' ? undefined : 'not found\n');
    return [404, 0];
  }
  const etag = `"${st.ino.toString(16)}-${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  const lastModified = st.mtime.toUTCString();
  const headers: Record<string, string | number> = { ETag: etag, 'Last-Modified': lastModified, 'Accept-Ranges': 'bytes', 'Content-Type': contentType(urlPath) };
  const inm = req.headers['if-none-match'];
  const ims = req.headers['if-modified-since'];
  if ((inm && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) || (!inm && ims && Date.parse(ims) >= Math.floor(st.mtimeMs / 1000) * 1000)) {
    res.writeHead(304, headers).end();
    return [304, 0];
  }
  let range = req.headers.range ? parseRange(req.headers.range, st.size) : undefined;
  const ifRange = req.headers['if-range'];
  if (range && ifRange && ifRange !== etag && ifRange !== lastModified) range = undefined;
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${st.size}` }).end();
    return [416, 0];
  }
  const status = range ? 206 : 200;
  const start = range?.start ?? 0;
  const end = range?.end ?? st.size - 1;
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
  headers['Content-Length'] = st.size === 0 ? 0 : end - start + 1;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || st.size === 0) {
    res.end();
    return [status, 0];
  }
  await new Promise<void>((resolve) => {
    const stream = createReadStream(file, { start, end });
    stream.on('error', () => {
      res.destroy();
      resolve();
    });
    res.on('close', () => {
      stream.destroy();
      resolve();
    });
    stream.pipe(res);
  });
  return [status, end - start + 1];
}

export async function serveArchive(o: ServeOptions): Promise<RunningServer> {
  const logLine = o.accessLog ?? ((l: string) => process.stderr.write(`${l}\n`));
  const server = createServer((req, res) => {
    const started = new Date();
    handle(o.publicDir, req, res)
      .catch((): [number, number] => {
        if (!res.headersSent) res.writeHead(500).end();
        return [500, 0];
      })
      .then(([status, bytes]) => {
        const when = started.toISOString();
        logLine(`${req.socket.remoteAddress ?? '-'} - - [${when}] "${req.method ?? '-'} ${req.url ?? '-'} HTTP/${req.httpVersion}" ${status} ${bytes || '-'} "${req.headers['user-agent'] ?? '-'}"`);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server,
    url: `http://${host}:${addr.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
