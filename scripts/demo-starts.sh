#!/bin/bash
# Starts `watchfloor demo` 20 times in a row in tmux while two busy loops load the CPU, and
# counts the starts that opened the screen and quit cleanly with q.
# Usage: scripts/demo-starts.sh target/release/watchfloor
BIN=$1
( while :; do :; done ) & L1=$!
( while :; do :; done ) & L2=$!
ok=0
for i in $(seq 1 20); do
  tmux -L demo20 new-session -d -s d$i -x 120 -y 40 "$BIN demo; echo EXIT \$?; sleep 20"
  for t in $(seq 1 50); do
    s=$(tmux -L demo20 capture-pane -p -t d$i)
    if echo "$s" | grep -q "Watchlist" && echo "$s" | grep -q "polled"; then break; fi
    if echo "$s" | grep -q "EXIT"; then break; fi
    sleep 0.1
  done
  tmux -L demo20 send-keys -t d$i q
  sleep 0.7
  s=$(tmux -L demo20 capture-pane -p -t d$i)
  if echo "$s" | grep -q "EXIT 0"; then ok=$((ok+1)); else echo "run $i:"; echo "$s" | head -20; fi
  tmux -L demo20 kill-session -t d$i
done
kill $L1 $L2
tmux -L demo20 kill-server 2>/dev/null
echo "$ok of 20 demo starts opened the screen and quit cleanly under two busy loops"
