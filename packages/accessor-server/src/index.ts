export {
  errorFromNetwork,
  errorFromResponse,
  isTransientStatus,
  type ServerErrorBody,
} from './errors.js';
export {
  ServerAccessor,
  type ServerAccessorOptions,
  serverAccessorOptionsFromEnv,
} from './server-accessor.js';
