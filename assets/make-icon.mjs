// Draws the app icon (assets/icon.png, 512×512 RGBA) with nothing but node:zlib: a rounded blue square with
// three label bars of different lengths, the shape of a class distribution. Run: node assets/make-icon.mjs
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const SIZE = 512;
const px = Buffer.alloc(SIZE * SIZE * 4);

function inRoundedRect(x, y, x0, y0, x1, y1, r) {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = x < x0 + r ? x0 + r : x > x1 - r ? x1 - r : x;
  const cy = y < y0 + r ? y0 + r : y > y1 - r ? y1 - r : y;
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

// 4×4 supersampling for smooth edges.
const bars = [
  { y: 150, len: 300, color: [255, 255, 255] },
  { y: 235, len: 210, color: [255, 214, 153] },
  { y: 320, len: 120, color: [255, 255, 255] },
];
for (let y = 0; y < SIZE; y++) {
  for (let x = 0; x < SIZE; x++) {
    let r = 0, g = 0, b = 0, a = 0;
    for (let sy = 0; sy < 4; sy++) {
      for (let sx = 0; sx < 4; sx++) {
        const fx = x + (sx + 0.5) / 4;
        const fy = y + (sy + 0.5) / 4;
        if (!inRoundedRect(fx, fy, 24, 24, 488, 488, 96)) continue;
        const t = fy / SIZE;
        let c = [Math.round(43 + 20 * t), Math.round(99 - 30 * t), Math.round(217 - 40 * t)];
        for (const bar of bars) if (inRoundedRect(fx, fy, 106, bar.y, 106 + bar.len, bar.y + 56, 18)) c = bar.color;
        r += c[0]; g += c[1]; b += c[2]; a += 255;
      }
    }
    const i = (y * SIZE + x) * 4;
    const n = 16;
    const cover = a / n / 255;
    px[i] = cover ? Math.round(r / (cover * n)) : 0;
    px[i + 1] = cover ? Math.round(g / (cover * n)) : 0;
    px[i + 2] = cover ? Math.round(b / (cover * n)) : 0;
    px[i + 3] = Math.round(a / n);
  }
}

const CRC = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
function crc32(buf) {
  let c = -1;
  for (const byte of buf) c = CRC[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let y = 0; y < SIZE; y++) px.copy(raw, y * (SIZE * 4 + 1) + 1, y * SIZE * 4, (y + 1) * SIZE * 4);
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const out = path.join(import.meta.dirname, 'icon.png');
fs.writeFileSync(out, png);
console.log(`wrote ${out} (${png.length} bytes)`);
