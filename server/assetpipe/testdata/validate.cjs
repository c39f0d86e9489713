// validate.cjs runs the Khronos glTF-Validator (npm gltf-validator) on GLB
// files and prints one JSON object per file on its own line:
//   {"path": "...", "errors": N, "warnings": N, "issues": [{"code", "severity", "pointer", "message"}]}
// severity is 0 error, 1 warning, 2 info, 3 hint, as the validator reports.
//
// Usage: node validate.cjs FILE.glb...
// The validator is found in $VITRINE_GLTF_VALIDATOR (a directory holding
// node_modules/gltf-validator) or in .cache/gltf-validator at the
// repository root; install it with
//   npm install --prefix .cache/gltf-validator gltf-validator@2.0.0-dev.3.10
// It exits 2 when the validator cannot be loaded, 1 when a file cannot be
// read, 0 otherwise (validation results are in the output, not the code).
'use strict';
const fs = require('fs');
const path = require('path');

function loadValidator() {
  const roots = [];
  if (process.env.VITRINE_GLTF_VALIDATOR) roots.push(process.env.VITRINE_GLTF_VALIDATOR);
  roots.push(path.resolve(__dirname, '..', '..', '..', '.cache', 'gltf-validator'));
  for (const root of roots) {
    const dir = path.join(root, 'node_modules', 'gltf-validator');
    if (fs.existsSync(dir)) return require(dir);
  }
  return null;
}

async function main() {
  const validator = loadValidator();
  if (!validator) {
    process.stderr.write('gltf-validator not installed\n');
    process.exit(2);
  }
  for (const file of process.argv.slice(2)) {
    let bytes;
    try {
      bytes = new Uint8Array(fs.readFileSync(file));
    } catch (e) {
      process.stderr.write(`read ${file}: ${e.message}\n`);
      process.exit(1);
    }
    const report = await validator.validateBytes(bytes, {
      maxIssues: 200,
      externalResourceFunction: () => Promise.reject(new Error('external resources are not allowed')),
    });
    const issues = (report.issues.messages || []).map((m) => ({
      code: m.code, severity: m.severity, pointer: m.pointer || '', message: m.message,
    }));
    process.stdout.write(JSON.stringify({
      path: file, errors: report.issues.numErrors, warnings: report.issues.numWarnings, issues,
    }) + '\n');
  }
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
