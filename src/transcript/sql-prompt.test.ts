import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { lineStates, promptFor } from './sql-prompt.js';

test('what is still open at each line break', () => {
  assert.deepEqual(lineStates('select 1;\nselect\n2;\n'), ['=', '-', '=']);
  assert.deepEqual(lineStates('/* a /* nested */\nstill */ x\ny'), ['*', '-']);
  assert.deepEqual(lineStates("select E'a\\'\nb' ||\n'c''\nd'"), ["'", '-', "'"]);
  assert.deepEqual(lineStates('select $fn$ a $x$\n$fn$, $1\n, a$b$\nc'), ['$', '-', '-']);
  assert.deepEqual(lineStates('select ((1\n), 2\n)\n'), ['(', '(', '-']);
  assert.deepEqual(lineStates('select 1 -- comment (\n;\n'), ['-', '=']);
  assert.deepEqual(lineStates('-- only a comment\nselect'), ['=']);
});

test('prompts: psql shapes get the state, others an aligned arrow', () => {
  assert.equal(promptFor('app=> ', '-'), 'app-> ');
  assert.equal(promptFor('app=!# ', "'"), "app'!# ");
  assert.equal(promptFor('app=> ', '='), 'app=> ');
  assert.equal(promptFor('mysql> ', '-'), '    -> ');
  assert.equal(promptFor('> ', '-'), '-> ');
});

test('property: one state per line break, never a throw', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('\n', "'", '"', '$', 'E', 'a', '(', ')', '/', '*', '-', ';', '\\', ' ') }), (s) => {
      assert.equal(lineStates(s).length, s.split('\n').length - 1);
    }),
  );
});
