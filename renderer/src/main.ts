import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import 'uplot/dist/uPlot.min.css';
import { browserClient, tokenFromLocation } from './api/browser.ts';
import { electronClient } from './api/electron.ts';
import type { ApiClient } from './api/client.ts';
import { AppState } from './state/app.svelte.ts';

function pickClient(): ApiClient | string {
  if (window.textbench) return electronClient(window.textbench);
  const token = tokenFromLocation(location.search);
  if (!token) return 'This page needs the token that `textbench serve` printed: open the full URL it shows (it ends in ?token=...).';
  return browserClient(location.origin, token);
}

const target = document.getElementById('app')!;
const client = pickClient();
if (typeof client === 'string') {
  target.textContent = client;
} else {
  const app = new AppState(client);
  mount(App, { target, props: { app } });
}
