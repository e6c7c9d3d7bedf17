// Writes js-json.json: what JSON.stringify (Node's V8) writes for fixed inputs, the answers
// src/wire/js.rs must reproduce. Run from anywhere: `node tests/data/kat/js-json.mjs`.
// Doubles are given by their IEEE-754 bits so the input does not depend on any formatter.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const bitsOf = (x) => {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  return '0x' + v.getBigUint64(0).toString(16).padStart(16, '0');
};
const fromBits = (b) => {
  const v = new DataView(new ArrayBuffer(8));
  v.setBigUint64(0, b);
  return v.getFloat64(0);
};

const named = [
  0, -0, 1, -1, 1.5, 0.1, 0.1 + 0.2, 100, 1e5, 1e17, 1e20, -1e20, 2 ** 53, 2 ** 53 + 2, 2 ** 64,
  1e21, -1e21, 1.5e21, 123456789012345680000, 1e-6, -1e-6, 2.5e-6, 1e-7, 1.2345e-7, 9.999999e-7,
  0.00001, 1 / 3, 2 / 3, 4.35, 5e-324, Number.MIN_VALUE, Number.MAX_VALUE, 1e300, 1e-300, 1e46,
  1e47, 0.000123, 123.456, 9007199254740993, 1.7976931348623157e308, 2.2250738585072014e-308,
];
for (let e = -30; e <= 30; e++) named.push(Number(`1e${e}`), Number(`1.5e${e}`), Number(`-7.25e${e}`));

// Fixed pseudo-random bit patterns (xorshift64), NaN and Infinity skipped.
let s = 0x9e3779b97f4a7c15n;
const mask = (1n << 64n) - 1n;
const randoms = [];
while (randoms.length < 300) {
  s ^= (s << 13n) & mask; s ^= s >> 7n; s ^= (s << 17n) & mask;
  const x = fromBits(s);
  if (Number.isFinite(x)) randoms.push(x);
}

const numbers = [...named, ...randoms].map((x) => ({ bits: bitsOf(x), js: JSON.stringify(x) }));

// JSON text as a caller would type it, and JSON.stringify(JSON.parse(text)).
const texts = [
  '1.0', '1E5', '-0', '-0.0', '12345678901234567890', '1e400', '-1e400', '1e-400', '0.30000000000000004',
  '"x\\ud800y"', '"\\udc00"', '"\\ud800\\udc00"', '"\\ud800\\ud800\\udc00"', '"\\udbff"', '"a\\udfffb\\ud800"',
  '"\\u0000\\u0001\\u001f\\u007f\\u2028\\u2029"', '"\\b\\f\\n\\r\\t\\"\\\\\\/"', '"é 中 🚀 <>&\'"', '"\\u00e9\\uD834\\uDD1E"',
  '{"b":1,"2":2,"a":3,"1":4,"01":5,"4294967294":6,"4294967295":7,"-1":8,"0":9,"1.5":10}',
  '{"a":1,"b":2,"a":3}', '{"__proto__":1,"x":[]}', '{"\\ud800":1,"\\ud800\\udc00":2}',
  ' { "a" : [ 1 , 2.50 , -3e-7 , 1e21 , 0.000001 ] , "b" : { } }\n', '[[[]],{},null,true,false,""]',
  '{"amount":1e20,"n":-1e20,"m":18446744073709551616,"small":2.5e-6}',
];
const parsed = texts.map((text) => ({ text, js: JSON.stringify(JSON.parse(text)) }));

const out = {
  about: 'JSON.stringify answers from Node ' + process.version + ' (tests/data/kat/js-json.mjs): numbers by IEEE-754 bits, and JSON.stringify(JSON.parse(text)) for typed texts',
  numbers,
  parsed,
};
const here = path.dirname(fileURLToPath(import.meta.url));
writeFileSync(path.join(here, 'js-json.json'), JSON.stringify(out, null, 1) + '\n');
console.log(`${numbers.length} numbers, ${parsed.length} texts`);
