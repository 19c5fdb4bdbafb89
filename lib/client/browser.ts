/**
 * Entry of the browser bundle (`scripts/build-client-bundle.js`): the SDK as the global
 * `DistributedWs`, for pages without a bundler.
 * @example
 * <script src="/assets/dws-client.js"></script>
 * <script>const client = DistributedWs.connect({ url: 'wss://example.com/ws' });</script>
 */
export {
  DistributedWsClient,
  connect,
  DwsClientError,
  ClientErrorCode,
  ErrorCode,
  CloseCode,
  matchesFilter,
} from './index.js';
