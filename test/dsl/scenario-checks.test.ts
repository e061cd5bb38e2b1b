/*
 * The rules of a scenario beyond its schema, each with the place a reader must go to: a recording that is not
 * there or cannot be played, `type: recording` without a file (or a file on another type), fields that go only
 * with some step kinds, per-step checks that contradict themselves or cannot apply, and `agentOverrides` that
 * would leave an invalid agent, reported at the override in the scenario, not in the agent file it came from.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordingProblem } from '../../runtime/audio/recordings.js';
import { writeWav } from '../../runtime/audio/wav.js';
import { formatDiagnostic } from '../../runtime/dsl/diagnostics.js';
import { checkScenarioFile } from '../../runtime/dsl/scenario-file.js';
import { packageRoot } from '../../runtime/util/package-root.js';

const root = packageRoot();
/** A scenario beside the example ones (never written: its text is given), so its relative paths resolve. */
const FILE = join(root, 'scenarios', 'receptionist', 'checked.yaml');
const HEAD = 'apiVersion: voiceagent/v1\nkind: Scenario\nname: checked\nagent: ../../agents/receptionist.yaml\n';

/** Every diagnostic as `line:col code: message`, the file left out. */
function problems(body: string, file = FILE, head = HEAD): string[] {
  const checked = checkScenarioFile({ file, text: head + body, checkAudioFile: recordingProblem });
  return checked.diagnostics.map((d) => `${d.line}:${d.column} ${d.code}: ${d.message}`);
}

describe('recordings', () => {
  it('accepts the shipped ones', () => {
    const body = 'channel:\n  noise: { type: recording, file: ../recordings/office-ambience.wav, snrDb: 10 }\nscript:\n  - say: And so my fellow Americans\n    audio: ../recordings/jfk.wav\n';
    expect(problems(body)).toEqual([]);
  });

  it('reports a recording that is not there, at its path', () => {
    expect(problems('channel:\n  noise: { type: recording, file: ../recordings/nope.wav, snrDb: 10 }\nscript:\n  - say: hi\n')).toEqual([
      `6:35 reference: \`channel.noise.file\`: recording not found: ${join(root, 'scenarios', 'recordings', 'nope.wav')}`,
    ]);
    expect(problems('script:\n  - say: hi\n    audio: jfk.wav\n')).toEqual([`7:12 reference: \`script[0].audio\`: recording not found: ${join(root, 'scenarios', 'receptionist', 'jfk.wav')}`]);
  });

  describe('that cannot be played', () => {
    const dir = mkdtempSync(join(tmpdir(), 'voiceagent-recordings-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const head = `apiVersion: voiceagent/v1\nkind: Scenario\nname: checked\nagent: ${join(root, 'agents', 'receptionist.yaml')}\n`;

    it('says why: a rate the resampler does not take, or not a WAV at all', () => {
      writeFileSync(join(dir, 'odd-rate.wav'), writeWav({ sampleRate: 11025, channels: [new Int16Array(11025)] }));
      writeFileSync(join(dir, 'notes.wav'), 'not audio');
      expect(problems('script:\n  - say: hi\n    audio: odd-rate.wav\n', join(dir, 's.yaml'), head)).toEqual([
        `7:12 reference: \`script[0].audio\`: ${join(dir, 'odd-rate.wav')} is sampled at 11025 Hz; recordings must be 8000, 16000, 24000 or 48000 Hz (convert with \`sox in.wav -r 16000 out.wav\`)`,
      ]);
      expect(problems('script:\n  - say: hi\n  - setNoise: { type: recording, file: notes.wav, snrDb: 5 }\n', join(dir, 's.yaml'), head)).toEqual([
        `7:40 reference: \`script[1].setNoise.file\`: ${join(dir, 'notes.wav')} is not a WAV file (no RIFF/WAVE header)`,
      ]);
    });
  });

  it('wants a file with `type: recording`, and a file only with it', () => {
    expect(problems('channel:\n  noise: { type: recording, snrDb: 10 }\nscript:\n  - say: hi\n')).toEqual(['6:3 required: `channel.noise` has `type: recording` but no `file`']);
    expect(problems('script:\n  - say: hi\n  - setNoise: { type: babble, file: ../recordings/office-ambience.wav }\n')).toEqual([
      '7:31 conflict: `script[1].setNoise.file` goes only with `type: recording`, but the type is `babble`',
    ]);
  });

  it('plays a recording as spoken: no `rate` with `audio`', () => {
    expect(problems('script:\n  - say: hi\n    audio: ../recordings/jfk.wav\n    rate: 1.2\n')).toEqual([
      "8:5 conflict: `script[0].rate` changes the synthesiser's speed, but `script[0]` plays a recording (`audio`)",
    ]);
  });
});

describe('step fields and step checks', () => {
  it('takes `durationMs` only on a noise or a noise change', () => {
    expect(problems('script:\n  - say: hi\n    durationMs: 500\n')).toEqual(['7:5 conflict: `script[0].durationMs` goes only with `noise` or `setNoise`, which `script[0]` has neither of']);
    expect(problems('script:\n  - setNoise: { type: babble, snrDb: 5 }\n    durationMs: 1500\n')).toEqual([]);
  });

  it('takes `levelDb`, `rate` and `audio` only on a line (the schema says so)', () => {
    expect(problems('script:\n  - noise: cough\n    levelDb: -6\n')).toEqual(['7:5 required: `script[0].levelDb` goes only with `say`, which `script[0]` does not have']);
  });

  it('puts checks only on lines and sounds, and `answeredWithinMs` only on lines', () => {
    expect(problems('script:\n  - pauseMs: 500\n    expect: { interrupts: false }\n')).toEqual([
      '7:5 conflict: `script[0].expect` goes only with `say` or `noise`: only a line or a sound can interrupt, resume or be answered',
    ]);
    expect(problems('script:\n  - noise: cough\n    when: { agentSpeaking: true }\n    expect: { answeredWithinMs: 500 }\n')).toEqual([
      '8:15 conflict: `script[0].expect.answeredWithinMs` goes only with `say`: a `noise` gets no answer',
    ]);
  });

  it('refuses a check that contradicts itself or cannot apply', () => {
    expect(problems('script:\n  - say: stop\n    when: { agentSpeaking: true }\n    expect: { interrupts: { withinMs: 300 }, resumes: true }\n')).toEqual([
      '8:46 conflict: `script[0].expect` says both that the step interrupts the agent and that the sentence it is made over is heard to its end (`resumes`)',
    ]);
    // Timed after the reply, the line has nothing to interrupt.
    expect(problems('script:\n  - say: stop\n    expect: { interrupts: true }\n')).toEqual([
      "7:5 conflict: `script[0].expect` checks what the step does to the agent's speech, but the step starts after the agent's reply ends",
    ]);
    expect(problems('script:\n  - say: hi\n    expect: { interrupts: { withinMs: 0 } }\n')).toEqual([
      '7:39 range: `script[0].expect.interrupts.withinMs` must be >= 1 ms, got 0 ms',
    ]);
  });
});

describe('agentOverrides', () => {
  it('accepts overrides that leave a valid agent', () => {
    expect(problems('agentOverrides:\n  echo: { tailMs: 800 }\n  bargeIn: { onSpeechStart: duck }\nscript:\n  - say: hi\n')).toEqual([]);
  });

  it('reports a bad override where it is written in the scenario, with the agent file\'s hints', () => {
    const checked = checkScenarioFile({ file: FILE, text: `${HEAD}agentOverrides:\n  echo: { tailMs: 5000 }\n  bargeIn: { pauseAftrMs: 120 }\nscript:\n  - say: hi\n` });
    expect(checked.diagnostics.map(formatDiagnostic)).toEqual([
      expect.stringMatching(/^.*checked\.yaml:6:19: error: `agentOverrides`: `echo\.tailMs` must be <= 1000 ms, got 5000 ms\n {2}hint: /),
      `${FILE}:7:14: error: \`agentOverrides\`: unknown key \`pauseAftrMs\` in \`bargeIn\`\n  hint: did you mean \`pauseAfterMs\`?`,
    ]);
    expect(checked.diagnostics.map((d) => d.path)).toEqual(['agentOverrides.echo.tailMs', 'agentOverrides.bargeIn.pauseAftrMs']);
  });

  it('reports a problem the merge causes elsewhere in the agent at the overrides, naming the agent file\'s place', () => {
    expect(problems('agentOverrides:\n  languages: { default: fr }\nscript:\n  - say: hi\n')).toEqual([
      `5:1 missing-voice: with \`agentOverrides\`, the agent is invalid: no voice for supported language \`fr\` in \`voice.voices\` (${join(root, 'agents', 'receptionist.yaml')}:35:11)`,
      `5:1 missing-voice: with \`agentOverrides\`, the agent is invalid: no voice for supported language \`fr\` in \`voice.fallback.voices\` (${join(root, 'agents', 'receptionist.yaml')}:38:13)`,
    ]);
  });
});
