import { createApp } from './app.ts';

// Entry point of `cdk synth` / `cdk deploy` (see cdk.json).
createApp({ requireRegion: true }).app.synth();
