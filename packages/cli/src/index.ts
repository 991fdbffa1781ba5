export {
  ConfigError,
  configSchema,
  defaultConfig,
  interpolateEnv,
  loadConfig,
  type StowageConfig,
} from './config.js';
export { createAccessor, createStructure } from './factory.js';
export { openSession } from './open-session.js';
export { buildProgram } from './program.js';
