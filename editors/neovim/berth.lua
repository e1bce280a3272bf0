-- Berth for Neovim (0.7 or later; only the built-in LSP client, no plugin).
--
-- Put this file on your 'runtimepath' as lua/berth.lua and call
--   require('berth').setup({ cmd = { 'berth', 'lsp' }, libraries = { 'lib' } })
-- from your init.lua, or source init.lua beside it (`nvim -u editors/neovim/init.lua`).
-- Berth specs (berth.kdl, spec.kdl, *.berth.kdl) get the filetype `berth`, and each one
-- attaches to one `berth lsp` per root folder (the nearest folder holding .git, else the
-- spec's folder): diagnostics as you type, completion (<C-x><C-o>), hover (K), go to
-- definition (gd), references (gr), rename (<leader>rn), formatting (<leader>f) and
-- quick fixes (<leader>ca).

local M = {}

local clients = {}

local function root_of(path)
  local dir = vim.fn.fnamemodify(path, ':p:h')
  local git = vim.fn.finddir('.git', dir .. ';')
  if git ~= '' then
    return vim.fn.fnamemodify(git, ':p:h:h')
  end
  return dir
end

local function map(buf, lhs, rhs)
  vim.api.nvim_buf_set_keymap(buf, 'n', lhs, rhs, { noremap = true, silent = true })
end

function M.attach(buf, opts)
  local root = root_of(vim.api.nvim_buf_get_name(buf))
  local id = clients[root]
  if id == nil or vim.lsp.get_client_by_id(id) == nil then
    id = vim.lsp.start_client({
      name = 'berth',
      cmd = opts.cmd or { 'berth', 'lsp' },
      root_dir = root,
      -- Library folders (relative to the root) and the wait after typing.
      init_options = { libraries = opts.libraries or {}, debounceMs = opts.debounce_ms or 150 },
    })
    clients[root] = id
  end
  if id == nil then
    vim.notify('berth: cannot start ' .. table.concat(opts.cmd or { 'berth', 'lsp' }, ' '), vim.log.levels.ERROR)
    return
  end
  vim.lsp.buf_attach_client(buf, id)
  vim.api.nvim_buf_set_option(buf, 'omnifunc', 'v:lua.vim.lsp.omnifunc')
  vim.api.nvim_buf_set_option(buf, 'commentstring', '// %s')
  map(buf, 'K', '<cmd>lua vim.lsp.buf.hover()<CR>')
  map(buf, 'gd', '<cmd>lua vim.lsp.buf.definition()<CR>')
  map(buf, 'gr', '<cmd>lua vim.lsp.buf.references()<CR>')
  map(buf, '<leader>rn', '<cmd>lua vim.lsp.buf.rename()<CR>')
  map(buf, '<leader>ca', '<cmd>lua vim.lsp.buf.code_action()<CR>')
  map(buf, '<leader>f', '<cmd>lua vim.lsp.buf.formatting()<CR>')
end

function M.setup(opts)
  opts = opts or {}
  -- An autocommand rather than vim.filetype.add: 0.7 reads the latter only with
  -- g:do_filetype_lua set.
  vim.api.nvim_create_autocmd({ 'BufRead', 'BufNewFile' }, {
    pattern = { 'berth.kdl', 'spec.kdl', '*.berth.kdl' },
    callback = function(args)
      vim.api.nvim_buf_set_option(args.buf, 'filetype', 'berth')
    end,
  })
  vim.api.nvim_create_autocmd('FileType', {
    pattern = 'berth',
    callback = function(args)
      M.attach(args.buf, opts)
    end,
  })
end

return M
