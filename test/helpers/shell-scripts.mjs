// Shell scripts run by test/shell.test.mjs under weft's dash and under the host's native dash, in
// equivalent rootfs (see helpers/shell.mjs): stdout and exit status must be the same (and stderr where
// `stderr: true`). Scripts use relative paths (cwd is the rootfs in both) and PATH lookups; only /dev
// paths are absolute. Each prints enough that an empty run cannot pass for a right one.
export const scripts = [
  {
    name: 'pipelines',
    script: `echo one two three | wc -w
printf 'a\\nb\\nc\\n' | cat | wc -l
echo x | cat | cat | cat | wc -c
false | true; echo "status $?"
true | false; echo "status $?"
for i in 1 2 3 4 5; do echo $i | cat; done | wc -l`,
  },
  {
    name: 'a long pipeline of builtins and programs carries 2000 lines',
    script: `i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done | cat | wc`,
  },
  {
    name: 'subshells',
    script: `x=1; (x=2; echo "in $x"); echo "out $x"
(exit 7); echo "status $?"
(cd tmp && echo "\${PWD##*/}"); [ -d tmp ] && echo "cwd unchanged"
( (echo nested; exit 4); echo "inner $?" ) | cat
{ echo grouped; echo two; } | wc -l`,
  },
  {
    name: 'command substitution',
    script: `a=$(echo hi | cat); b=\`echo there\`; echo "$a $b"
n=$(printf '%s\\n' 1 2 3 | wc -l); echo "n=$n"
echo $(echo $(echo nested $(echo deep)))
v=$(exit 3); echo "status $?"
s=$(cat tmp/missing 2>&1); echo "[$s]"`,
    stderr: true,
  },
  {
    name: 'here-documents',
    script: `cat <<EOF
v=$((2*21)) \${HOME-nohome}
EOF
cat <<'EOF'
$literal \`not run\`
EOF
cat <<-EOF
\tindented
\tEOF
wc -l <<EOF
1
2
3
EOF
i=0; big=; while [ $i -lt 800 ]; do big="$big 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"; i=$((i+1)); done
cat <<EOF | wc -c
$big
EOF`,
  },
  {
    name: 'redirections on fds 3-9 with exec',
    script: `exec 3>tmp/a
echo three >&3
exec 4>tmp/b 5>tmp/c
echo four >&4; echo five >&5
exec 3>&- 4>&- 5>&-
cat tmp/a tmp/b tmp/c
exec 6<tmp/a
read line <&6; echo "read: $line"
exec 6<&-
exec 9>>tmp/a; echo nine >&9; exec 9>&-
cat tmp/a
echo x > tmp/d; ls_out=$(cat tmp/d); echo "after exec: $ls_out"`,
  },
  {
    name: 'redirections for one command: N>&M, N>file, groups',
    script: `echo seven 7>tmp/s >&7; cat tmp/s
sh -c 'echo via3 >&3' 3>&1
sh -c 'echo err >&2' 2>&1 | cat
{ echo out; echo err >&2; } 2>&1 | wc -l
echo to8 8>&1 >&8
cat 4<tmp/s <&4
exec 3>tmp/e; sh -c 'echo child-wrote >&3'; exec 3>&-; cat tmp/e`,
  },
  {
    name: 'exec N> and N>&-: a closed fd is an error',
    script: `exec 7>tmp/x; echo a >&7; exec 7>&-
echo b >&7; echo "status $?"
cat tmp/x`,
    stderr: true,
  },
  {
    name: 'background jobs and wait',
    script: `sleep 0.2 & wait $!; echo "done $?"
(exit 3) & wait $!; echo "status $?"
sleep 0.1 & sleep 0.1 & wait; echo all
sleep 0 & p=$!; [ "$p" -gt 0 ] && echo has-pid; wait $p; echo "waited $?"
echo bg | cat & wait`,
  },
  {
    name: "sh -c 'sleep 0.2 & wait $!; echo done'",
    script: `sh -c 'sleep 0.2 & wait $!; echo done'`,
  },
  {
    name: 'trap',
    script: `trap 'echo bye' EXIT
trap 'echo usr1' USR1; kill -USR1 $$; echo after
trap 'echo term' TERM; kill $$; echo after-term
trap - USR1; trap '' USR2; kill -USR2 $$; echo ignored
(trap 'echo sub-exit' EXIT; echo in-sub)`,
  },
  {
    name: 'trap CHLD',
    script: `trap 'echo chld' CHLD
sleep 0.1 & wait
echo waited`,
  },
  {
    name: 'kill',
    script: `sleep 5 & kill $!; wait $!; echo "status $?"
sleep 1 & kill -9 %1; wait %1; echo "status $?"
sleep 5 & p=$!; kill -TERM $p; wait; echo "all $?"
sh -c 'kill -USR1 $$; echo not-reached'; echo "usr1 $?"
kill -0 $$ && echo self-alive`,
  },
  {
    // A signal sent right after fork reaches the child before its launch, during its exec, or in the new
    // program: never lost (each lost one would also cost a 5 s sleep).
    name: 'kill right after fork, around exec',
    script: `i=0; while [ $i -lt 12 ]; do sleep 5 & kill $!; wait $!; printf "%s " "$?"; i=$((i+1)); done; echo`,
  },
  {
    name: '/dev/null',
    script: `echo hidden >/dev/null; echo "status $?"
cat /dev/null; echo "empty $?"
cat </dev/null | wc -c
sleep 0 </dev/null & wait
nosuch 2>/dev/null; echo "missing $?"
[ -c /dev/null ] && echo char-device`,
  },
  {
    name: 'exit statuses',
    script: `false; echo "false $?"
sh -c 'exit 42'; echo "exit $?"
nosuch 2>/dev/null; echo "not found $?"
(exit 300); echo "wrapped $?"
! true; echo "negated $?"
cat tmp/none 2>/dev/null; echo "cat $?"
exit 5`,
  },
  {
    // dash calls setjmp ~4 times per command: thousands of setjmp points, while a subshell's exit and an
    // error still longjmp to the ones made at start-up
    name: 'a long loop, then a subshell and an error (setjmp points made long before)',
    script: `i=0; while [ $i -lt 1500 ]; do i=$((i+1)); done; echo "$i"
(exit 3); echo "sub $?"
x=$(echo out); echo "$x"
cd /nonexistent 2>/dev/null; echo "cd $?"`,
  },
  {
    name: 'stdin of the shell reaches programs and read',
    script: `read a b; echo "$b $a"; cat | wc -l`,
    stdin: 'first second\nx\ny\nz\n',
  },
  {
    // The compile cache finds a program by its file's identity (device, inode, size, times) and a warm
    // exec sends no bytes: a program file rewritten in place must run its new content, and the old again.
    name: 'a program file rewritten between runs runs its new content',
    script: `for i in 1 2 3 4 5 6; do bin/echo "echo $i"; done
cat bin/echo > tmp/e; cat bin/wc > tmp/w; cat tmp/w > bin/echo
for i in 1 2 3 4 5 6; do echo "a b $i" | bin/echo; done
cat tmp/e > bin/echo
for i in 1 2 3; do bin/echo "back $i"; done`,
  },
];
