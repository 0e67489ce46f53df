export { main, COMMANDS, VERSION } from './main';
export { EXIT, exitCodeOf } from './exit-codes';
export { applyAssignments, mergeParams, parseAssignments, parseParamAssignments, parseParamValue, textPathsOf } from './params';
export { readEnv, resolveConnection, DEFAULT_URL, type CliEnv, type Connection, type StoredConfig } from './config';
