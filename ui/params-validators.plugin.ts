import Ajv2020 from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import type { Plugin } from 'vite';
import { jobTypeInfos } from '../shared/src/job-types/index';
import { PARAMS_AJV_OPTIONS } from '../shared/src/params-errors';

const ID = 'virtual:params-validators';

/**
 * `virtual:params-validators`: every job type's params validator, generated
 * at build time with Ajv's standalone code from the same schemas and options
 * the server compiles at run time. The browser runs them under a CSP without
 * 'unsafe-eval', where compiling a schema (new Function) is refused.
 * Exports `validators: Record<type, validate>`.
 */
export function paramsValidators(): Plugin {
  return {
    name: 'jobflow-params-validators',
    resolveId: (source) => (source === ID ? `\0${ID}` : null),
    load(id) {
      if (id !== `\0${ID}`) return null;
      const ajv = new Ajv2020({ ...PARAMS_AJV_OPTIONS, code: { source: true, esm: true } });
      const exports: Record<string, string> = {};
      Object.values(jobTypeInfos).forEach((info, i) => {
        ajv.addSchema(info.paramsSchema as object, info.type);
        exports[`validate${i}`] = info.type;
      });
      let code = standaloneCode(ajv, exports);
      // The generated code reaches Ajv's runtime helpers with require(): turn each into an import.
      const modules = [...new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!))];
      modules.forEach((name, i) => {
        code = code.split(`require("${name}")`).join(`__cjs(__runtime${i})`);
      });
      if (/\brequire\(/.test(code)) throw new Error('params validators: an unexpected require() is left in the generated code');
      const imports = modules.map((name, i) => `import * as __runtime${i} from ${JSON.stringify(name)};`).join('\n');
      const map = Object.entries(exports)
        .map(([name, type]) => `${JSON.stringify(type)}: ${name}`)
        .join(', ');
      return `${imports}
const __cjs = (ns) => (ns.default && typeof ns.default === 'object' && 'default' in ns.default ? ns.default : ns);
${code}
export const validators = { ${map} };
`;
    },
  };
}
