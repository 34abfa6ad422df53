// Every engine worker thread starts here (tasks/worker-client.ts starts it); its role picks the job it does.
import { workerInit } from './tasks/worker-host.ts';
import { startTrainingWorker } from './train/worker.ts';
import { startClassifyWorker } from './bundle/worker.ts';

const ROLES: Record<string, () => void> = { train: startTrainingWorker, classify: startClassifyWorker };

const { role } = workerInit();
const start = ROLES[role];
if (!start) throw new Error(`Unknown engine worker role "${role}".`);
start();
