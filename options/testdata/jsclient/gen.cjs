// Generates imgproxy URLs with the official @imgproxy/imgproxy-node client.
//
// Protocol (shared with other imgedge tests; see README.md):
//   stdin:  {"key": "<hex or empty>", "salt": "<hex or empty>",
//            "cases": [{"name": "...", "url": "http://...", "displayAs": "plain"|"base64"|"encrypted",
//                       "encryptKey": "<hex, 32 bytes>", "encryptIV": "<hex, 16 bytes>",
//                       "options": {<imgproxy-js-core Options>}}]}
//   stdout: [{"name": "...", "path": "/<signature>/<options>/<source>"}]
// key/salt empty means unsigned URLs (the library then writes "insecure").
"use strict";
const { generateImageUrl } = require("@imgproxy/imgproxy-node");

const endpoint = "http://imgedge.invalid";
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const req = JSON.parse(input);
  // The library falls back to IMGPROXY_KEY/SALT from the environment: clear them.
  delete process.env.IMGPROXY_KEY;
  delete process.env.IMGPROXY_SALT;
  const out = req.cases.map((c) => {
    const url = generateImageUrl({
      endpoint,
      url: { value: c.url, displayAs: c.displayAs || "base64" },
      options: c.options || {},
      key: req.key || undefined,
      salt: req.salt || undefined,
      encryptKey: c.encryptKey || undefined,
      encryptIV: c.encryptIV || undefined,
    });
    if (!url.startsWith(endpoint)) throw new Error("unexpected url " + url);
    return { name: c.name, path: url.slice(endpoint.length) };
  });
  process.stdout.write(JSON.stringify(out));
});
