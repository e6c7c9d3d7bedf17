// Compares the consumer's verdicts (--json: {case id: verdict}) with a certify report.json on
// the cases the consumer ran (not SKIP). certify's INFORMATIONAL and XPASS are a pass, XFAIL a
// fail (a known divergence is still one). Exit 1 on any disagreement or if no case compared.
import { readFileSync } from "node:fs";

const [reportPath, verdictsPath] = process.argv.slice(2);
const report = JSON.parse(readFileSync(reportPath, "utf8"));
const consumer = JSON.parse(readFileSync(verdictsPath, "utf8"));
const asVerdict = { PASS: "PASS", INFORMATIONAL: "PASS", XPASS: "PASS", XFAIL: "FAIL" };
const certify = Object.fromEntries(report.cases.map((c) => [c.id, asVerdict[c.class] ?? c.class]));

let compared = 0;
const differ = [];
for (const [id, verdict] of Object.entries(consumer)) {
  if (verdict === "SKIP") continue;
  compared++;
  if (certify[id] !== verdict) differ.push(`${id}: certify ${certify[id] ?? "(not run)"}, consumer ${verdict}`);
}
const tally = (vs) => Object.entries(vs.reduce((t, v) => ({ ...t, [v]: (t[v] ?? 0) + 1 }), {}))
  .map(([v, n]) => `${n} ${v}`).join(", ");
const ran = Object.entries(consumer).filter(([, v]) => v !== "SKIP");
console.log(`${compared} cases compared with certify (${tally(ran.map(([, v]) => v))}): ${differ.length} differ`);
for (const d of differ) console.log(`  ${d}`);
process.exit(differ.length === 0 && compared > 0 ? 0 : 1);
