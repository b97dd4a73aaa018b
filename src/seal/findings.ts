/**
 * What verification reports. Every message is one line that starts with the
 * recording id and, where it applies, the stream name and chunk index:
 *
 *   recording <id>: stream <name> chunk <n>: <what is wrong>
 */

export interface Finding {
  recording: string;
  stream?: string;
  chunk?: number;
  severity: 'error' | 'warning';
  message: string;
}

export class FindingList {
  readonly findings: Finding[] = [];

  constructor(private readonly recording: string) {}

  error(text: string, stream?: string, chunk?: number): void {
    this.add('error', text, stream, chunk);
  }

  warning(text: string, stream?: string, chunk?: number): void {
    this.add('warning', text, stream, chunk);
  }

  private add(severity: Finding['severity'], text: string, stream?: string, chunk?: number): void {
    let where = `recording ${this.recording}`;
    if (stream !== undefined) where += `: stream ${stream}`;
    if (chunk !== undefined) where += `${stream === undefined ? ':' : ''} chunk ${chunk}`;
    const finding: Finding = { recording: this.recording, severity, message: `${where}: ${text}` };
    if (stream !== undefined) finding.stream = stream;
    if (chunk !== undefined) finding.chunk = chunk;
    this.findings.push(finding);
  }
}
