#!/usr/bin/env bash
# Take editors/screenshot.png: Neovim (editors/neovim/init.lua) under tmux on a copy of
# examples/online-boutique/spec.kdl, a broken line with its diagnostic and the completion
# menu inside `uses "`. Needs tmux, neovim, python3-pil; run from the repository root after
# `cargo build`.
set -euo pipefail
BERTH="${BERTH:-$PWD/target/debug/berth}"
WORK="$(mktemp -d)"
cp examples/online-boutique/spec.kdl "$WORK/spec.kdl"
SESSION="berth-shot-$$"
tmux new-session -d -s "$SESSION" -x 110 -y 24 \
  "TERM=xterm-256color BERTH=$BERTH nvim -u editors/neovim/init.lua -c 'set termguicolors' -c 'lua vim.diagnostic.config({update_in_insert=true})' -c 'hi Pmenu guibg=#3b3f51 guifg=#e0e0e0' -c 'hi PmenuSel guibg=#5f87af' $WORK/spec.kdl"
sleep 3
# Line 31 is the first line inside `service "frontend" {`.
tmux send-keys -t "$SESSION" ':28' Enter 'zt' ':30' Enter 'o' '    replica 2' Escape
sleep 3
tmux send-keys -t "$SESSION" 'o' 'uses ""' Escape
sleep 3
tmux send-keys -t "$SESSION" 'i' C-x C-o
sleep 3
tmux capture-pane -e -p -t "$SESSION" > "$WORK/screen.ansi"
tmux kill-session -t "$SESSION"
/usr/bin/python3 editors/screenshot/render.py "$WORK/screen.ansi" editors/screenshot.png
rm -rf "$WORK"
echo "wrote editors/screenshot.png"
