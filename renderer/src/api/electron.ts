import type { ApiInput, ApiName, ApiOutput, PreloadApi } from '../../../shared/api.ts';
import { unwrap, type ApiClient } from './client.ts';

export function electronClient(bridge: PreloadApi): ApiClient {
  return {
    mode: 'electron',
    async call<N extends ApiName>(name: N, input: ApiInput<N>): Promise<ApiOutput<N>> {
      return unwrap<ApiOutput<N>>(await bridge.call(name, input));
    },
    onEvent: (listener) => bridge.onEvent(listener),
    onMenu: (listener) => bridge.onMenu(listener),
    async fileToPath(file) {
      const p = bridge.pathForFile(file);
      if (!p) throw new Error(`"${file.name}" has no path on disk (was it dragged from another app?). Save it to a folder and drop it from there.`);
      return p;
    },
    downloadUrl: (link) => link,
  };
}
