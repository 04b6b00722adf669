// Runs the reference encoders on pixels from vips/analyze's tests.
// stdin: [{"w": 4, "h": 3, "pix": "<base64 RGBA>", "bx": 4, "by": 3}]
// stdout: [{"blurhash": "...", "thumbhash": "<base64>"}]
import { encode } from "blurhash";
import { rgbaToThumbHash } from "thumbhash";

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const out = JSON.parse(input).map((c) => {
  const pix = new Uint8ClampedArray(Buffer.from(c.pix, "base64"));
  const th = c.w <= 100 && c.h <= 100 ? Buffer.from(rgbaToThumbHash(c.w, c.h, pix)).toString("base64") : "";
  return { blurhash: encode(pix, c.w, c.h, c.bx, c.by), thumbhash: th };
});
process.stdout.write(JSON.stringify(out));
