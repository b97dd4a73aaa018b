export type { ExportSource, ExportTerminal, Track } from './source.js';
export { TypescriptWriter } from './typescript.js';
export { AdvancedTimingWriter, type AdvancedLogNames } from './advanced-timing.js';
export { AsciicastWriter, type AsciicastHeader } from './asciicast.js';
export { EventsWriter } from './events.js';
export { mergeByTime, type MergeSource, type MergedFrame } from './merge.js';
export { terminalFileNames, eventsFileName, type TerminalFileNames } from './file-names.js';
export { writeExportZip } from './zip.js';
