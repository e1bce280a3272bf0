-- A minimal Neovim configuration for Berth specs: `nvim -u editors/neovim/init.lua berth.kdl`.
-- It loads berth.lua from this folder; copy both lines into your own init.lua (with the
-- path to berth.lua) to add Berth to your configuration.
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
local berth = dofile(here .. 'berth.lua')
berth.setup({
  cmd = { vim.env.BERTH or 'berth', 'lsp' },
  libraries = {},
})
vim.opt.number = true
vim.opt.signcolumn = 'yes'
vim.opt.autoindent = true
vim.opt.completeopt = { 'menuone', 'noselect' }
