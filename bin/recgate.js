#!/usr/bin/env -S node --initial-old-space-size=64 --heap-growing-percent=200 --interrupt-budget=8192
import { main } from '../dist/src/cli/main.js';

const code = await main(process.argv);
if (code !== 0) process.exitCode = code;
