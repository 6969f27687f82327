// A loopback origin server for tests and the demo, and a small HTTP client that keeps every
// response header line (multi-value headers) and the exact body bytes.
//
//   const origin = await startOrigin({
//     "/products": { headers: { "Cache-Control": "public, max-age=300" }, body: '{"items":[]}', delay: 45 },
//     "POST /cart": { status: 201, body: "ok" },
//     "/multi": { headers: { "Set-Cookie": ["a=1", "b=2"], "X-Multi": ["one", "two"] }, body: "x" },
//     "/dyn": (req) => ({ headers: { "Cache-Control": "max-age=60" }, body: `n=${req.n}` }),
//   });
//   origin.url                 // "http://127.0.0.1:PORT"
//   origin.count("/products")  // requests seen for that path (any query, any method)
//   origin.calls["/products"]  // same, as a plain object keyed by path
//   origin.requests            // [{ method, url, path, query, headers, rawHeaders, body, n, time }]
//   await origin.close();
//
// A route key is "/path" (any method) or "METHOD /path"; "METHOD /path" wins. The value is a
// response spec or a function (info, req) -> spec (may be async; info is the recorded request
// below, with n = its sequence number). A spec is
//   { status = 200, headers = {} | [[name, value], ...], body = "" | Buffer, delay = 0 (ms),
//     chunks: [Buffer|string, ...] (streamed without Content-Length), noContentLength }
// Header values that are arrays become several header lines. Unknown paths answer 404.
// A function instead of a route table handles everything: (req, res, info) like node's http.
// Requests under /__httpcache_harness/ (the Traefik harness's readiness probes) are answered 204
// and not counted.

import http from "node:http";

export const HARNESS_PREFIX = "/__httpcache_harness";
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function applyHeaders(res, headers) {
  if (!headers) return;
  if (Array.isArray(headers)) {
    // [[name, value], ...]: group by name, keeping order, so repeated names become several lines
    const groups = new Map();
    for (const [k, v] of headers) {
      const key = k.toLowerCase();
      if (!groups.has(key)) groups.set(key, { name: k, values: [] });
      groups.get(key).values.push(String(v));
    }
    for (const { name, values } of groups.values()) res.setHeader(name, values.length === 1 ? values[0] : values);
    return;
  }
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || v === null) continue;
    res.setHeader(k, Array.isArray(v) ? v.map(String) : String(v));
  }
}

export async function sendSpec(res, spec = {}) {
  if (spec.delay) await sleep(spec.delay);
  const status = spec.status ?? 200;
  applyHeaders(res, spec.headers);
  if (spec.chunks) {
    res.writeHead(status);
    for (const c of spec.chunks) {
      res.write(c);
      if (spec.chunkDelay) await sleep(spec.chunkDelay);
    }
    res.end();
    return;
  }
  const body = spec.body == null ? Buffer.alloc(0) : Buffer.isBuffer(spec.body) ? spec.body : Buffer.from(String(spec.body));
  if (!spec.noContentLength && !res.hasHeader("content-length") && status !== 204 && status !== 304 && !(status >= 100 && status < 200)) {
    res.setHeader("Content-Length", body.length);
  }
  res.writeHead(status);
  res.end(status === 204 || status === 304 ? undefined : body);
}

/**
 * @param {object|Function} routes  route table, or a handler (req, res, info)
 * @param {{ host?: string, port?: number }} [opts]
 */
export async function startOrigin(routes = {}, opts = {}) {
  const requests = [];
  const calls = {};
  let probes = 0;
  let n = 0;
  const sockets = new Set();

  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    const u = new URL(req.url, "http://origin.invalid");
    if (u.pathname.startsWith(HARNESS_PREFIX)) {
      probes++;
      res.writeHead(204);
      res.end();
      return;
    }
    const info = {
      method: req.method,
      url: req.url,
      path: u.pathname,
      query: u.search,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body,
      n: ++n,
      time: Date.now(),
    };
    requests.push(info);
    calls[u.pathname] = (calls[u.pathname] || 0) + 1;
    try {
      if (typeof routes === "function") {
        await routes(req, res, info);
        return;
      }
      let route = routes[`${req.method} ${u.pathname}`] ?? routes[u.pathname];
      if (route === undefined) {
        await sendSpec(res, { status: 404, headers: { "Content-Type": "text/plain" }, body: `origin: no route for ${req.method} ${u.pathname}\n` });
        return;
      }
      if (typeof route === "function") route = await route(info, req);
      await sendSpec(res, route);
    } catch (e) {
      if (!res.headersSent) {
        res.writeHead(599, { "Content-Type": "text/plain" });
        res.end(`origin handler error: ${e.stack}`);
      } else {
        res.destroy(e);
      }
    }
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.keepAliveTimeout = 5000;
  await new Promise((res, rej) => {
    server.once("error", rej);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", res);
  });
  const { address, port } = server.address();
  const host = address.includes(":") ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}`,
    port,
    server,
    requests,
    calls,
    get probes() { return probes; },
    /** Requests seen for a path (string: exact pathname; RegExp: tested on path+query; function: on the request). */
    count(filter) {
      if (filter === undefined) return requests.length;
      if (typeof filter === "string") return requests.filter((r) => r.path === filter).length;
      if (filter instanceof RegExp) return requests.filter((r) => filter.test(r.url)).length;
      return requests.filter(filter).length;
    },
    /** The requests seen for a pathname. */
    seen(path) { return requests.filter((r) => r.path === path); },
    /** Replaces or adds a route at run time. */
    route(key, spec) { if (typeof routes === "object") routes[key] = spec; },
    close() {
      return new Promise((res) => {
        server.close(() => res());
        for (const s of sockets) s.destroy();
      });
    },
  };
}

/**
 * A one-shot HTTP request on a fresh connection (no keep-alive), so each request is independent.
 * Returns { status, headers (node's merged object), rawHeaders, values(name) -> [all lines],
 * body (Buffer), text, ms }.
 */
export function request(url, { method = "GET", headers = {}, body, timeout = 15000 } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(url, { method, headers, agent: false, timeout }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const buf = Buffer.concat(chunks);
        const raw = res.rawHeaders;
        resolve({
          status: res.statusCode,
          headers: res.headers,
          rawHeaders: raw,
          values(name) {
            const want = name.toLowerCase();
            const out = [];
            for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === want) out.push(raw[i + 1]);
            return out;
          },
          body: buf,
          text: buf.toString("utf8"),
          ms: performance.now() - t0,
        });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`request timed out after ${timeout} ms: ${method} ${url}`)));
    req.on("error", reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}
