-- A real client test: headless Neovim with editors/neovim/init.lua opens a copy of an
-- example spec and this script checks what a person would see.
--   BERTH=target/release/berth nvim --headless -u editors/neovim/init.lua \
--     -c 'luafile editors/neovim/test.lua' /tmp/x/spec.kdl
-- 1. a broken line gets a diagnostic on that line;
-- 2. completion inside `uses "` offers the spec's service names;
-- 3. go to definition on a `uses` jumps to the service.
-- Prints `ok: ...` per check and exits 0, or prints `FAILED: ...` and exits 1.

local buf = vim.api.nvim_get_current_buf()
local failures = 0

local function check(ok, message)
  if ok then
    io.stdout:write('ok: ' .. message .. '\n')
  else
    io.stdout:write('FAILED: ' .. message .. '\n')
    failures = failures + 1
  end
end

local function line_of(pattern)
  for index, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    if line:find(pattern, 1, true) then
      return index - 1
    end
  end
  return nil
end

local attached = vim.wait(20000, function()
  return next(vim.lsp.buf_get_clients(buf)) ~= nil
end, 50)
check(attached and vim.bo[buf].filetype == 'berth', 'berth lsp attached to the spec (filetype ' .. vim.bo[buf].filetype .. ')')

-- 1. A broken line: `replica 2` inside the first service.
local service = line_of('service "frontend" {')
vim.api.nvim_buf_set_lines(buf, service + 1, service + 1, false, { '        replica 2' })
local broken = service + 1
local got = vim.wait(20000, function()
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.lnum == broken then
      return true
    end
  end
  return false
end, 50)
local messages = {}
for _, d in ipairs(vim.diagnostic.get(buf)) do
  table.insert(messages, (d.lnum + 1) .. ': ' .. d.message:gsub('\n.*', ''))
end
check(got, 'a diagnostic on the broken line ' .. (broken + 1) .. ' (' .. table.concat(messages, '; ') .. ')')
vim.api.nvim_buf_set_lines(buf, broken, broken + 1, false, {})
vim.wait(20000, function()
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.severity == vim.diagnostic.severity.ERROR then
      return false
    end
  end
  return true
end, 50)

-- 2. Completion inside `uses "` on a new line of the first service.
vim.api.nvim_buf_set_lines(buf, service + 1, service + 1, false, { '        uses "' })
local params = {
  textDocument = vim.lsp.util.make_text_document_params(buf),
  position = { line = service + 1, character = 14 },
}
local responses = vim.lsp.buf_request_sync(buf, 'textDocument/completion', params, 20000) or {}
local labels = {}
for _, response in pairs(responses) do
  local items = response.result and (response.result.items or response.result) or {}
  for _, item in ipairs(items) do
    labels[item.label] = true
  end
end
local names = vim.tbl_keys(labels)
table.sort(names)
check(labels['cartservice'] and labels['currencyservice'] and labels['productcatalogservice'] and not labels['frontend'],
  'completion in `uses "` offers the services: ' .. table.concat(names, ', '))
vim.api.nvim_buf_set_lines(buf, service + 1, service + 2, false, {})

-- 3. Go to definition on `uses "cartservice"` jumps to `service "cartservice"`.
local uses = line_of('uses "cartservice"')
local target = line_of('service "cartservice" {')
vim.api.nvim_win_set_cursor(0, { uses + 1, 15 })
vim.lsp.buf.definition()
local jumped = vim.wait(20000, function()
  return vim.api.nvim_win_get_cursor(0)[1] == target + 1
end, 50)
local cursor = vim.api.nvim_win_get_cursor(0)
check(jumped, 'go to definition from line ' .. (uses + 1) .. ' lands on `service "cartservice"` (line ' .. (target + 1) .. '), cursor at ' .. cursor[1] .. ':' .. cursor[2])

io.stdout:write(failures == 0 and 'neovim: all checks passed\n' or ('neovim: ' .. failures .. ' check(s) failed\n'))
io.stdout:flush()
if failures == 0 then
  vim.cmd('qall!')
else
  vim.cmd('cquit 1')
end
