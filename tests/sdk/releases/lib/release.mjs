// The SDK releases of the matrix: what each one speaks, read from its published code in
// node_modules (paths below are inside node_modules/@erc7824/nitrolite/dist), and how to load
// it with the viem and ws pinned beside it.

import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const RELEASES_DIR = path.resolve(HERE, '..');

/**
 * Per release:
 * - protocols: the NitroRPC versions whose requests its builders can express;
 * - unspoken: why a protocol is missing (the cell says it);
 * - authDialect: `policy-v1` = auth_request {address, session_key, app_name, allowances, expire,
 *   scope, application: Address} and the EIP-712 Policy {challenge, scope, wallet, application:
 *   address, participant: address, expire: uint256, allowances: (asset string, amount uint256)[]};
 *   `policy-v2` = auth_request {address, session_key, application: string, allowances,
 *   expires_at, scope} and the Policy {challenge, scope, wallet, session_key: address,
 *   expires_at: uint64, allowances: (asset string, amount string)[]}, which Clearnode v0.5.2
 *   verifies;
 * - definitionHasApplication: RPCAppDefinition has an `application` member.
 */
export const RELEASES = {
  '0.3.0': {
    protocols: ['NitroRPC/0.2'],
    unspoken: {
      'NitroRPC/0.4':
        '0.3.0 cannot express NitroRPC/0.4: its SubmitAppStateRequest params are {app_session_id, allocations, session_data?} with no intent or version (rpc/types/request.d.ts), and RPCAppDefinition.protocol is a free string with no 0.4 value',
    },
    authDialect: 'policy-v1',
    definitionHasApplication: false,
  },
  '0.4.0': {
    protocols: ['NitroRPC/0.2', 'NitroRPC/0.4'],
    unspoken: {},
    authDialect: 'policy-v1',
    definitionHasApplication: false,
  },
  '0.5.3': {
    protocols: ['NitroRPC/0.2', 'NitroRPC/0.4'],
    unspoken: {},
    authDialect: 'policy-v2',
    definitionHasApplication: true,
  },
};

export const PROTOCOLS = ['NitroRPC/0.2', 'NitroRPC/0.4'];

/**
 * Loads a release from tests/sdk/releases/<version>/node_modules: the SDK, its viem and ws.
 * Throws when the folder is not installed or holds another version than its name.
 */
export function loadRelease(version) {
  const dialect = RELEASES[version];
  if (!dialect) throw new Error(`unknown SDK release ${version}; known: ${Object.keys(RELEASES).join(', ')}`);
  const dir = path.join(RELEASES_DIR, version);
  const require = createRequire(path.join(dir, 'package.json'));
  let entry;
  try {
    entry = require.resolve('@erc7824/nitrolite');
  } catch {
    throw new Error(`@erc7824/nitrolite is not installed in ${dir}: run \`npm ci\` there`);
  }
  // dist/index.js → the package root two levels up.
  const pkg = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8'));
  if (pkg.version !== version) throw new Error(`${dir} holds @erc7824/nitrolite ${pkg.version}, not ${version}`);
  return {
    version,
    dialect,
    sdk: require('@erc7824/nitrolite'),
    viem: require('viem'),
    accounts: require('viem/accounts'),
    WebSocket: require('ws'),
  };
}
