-- Headless Neovim 0.7 checks of the virtlint language server, a real LSP client.
-- Run by run.sh: nvim --headless --clean -c "luafile check.lua"
-- Environment: VIRTLINT_SERVER (absolute path of the server script), VIRTLINT_FIXTURES (folder).

local server = os.getenv('VIRTLINT_SERVER')
local fixtures = os.getenv('VIRTLINT_FIXTURES')
local passed, failed = 0, 0

local function out(line)
  io.stdout:write(line .. '\n')
end

local function check(name, fn)
  local ok, err = pcall(fn)
  if ok then
    passed = passed + 1
    out('ok - ' .. name)
  else
    failed = failed + 1
    out('not ok - ' .. name .. ': ' .. tostring(err))
  end
end

local function finish()
  out(string.format('nvim-lua: %d passed, %d failed', passed, failed))
  io.stdout:flush()
  if failed > 0 then
    vim.cmd('cquit 1')
  else
    vim.cmd('qall!')
  end
end

if not server or not fixtures then
  failed = 1
  out('not ok - setup: VIRTLINT_SERVER and VIRTLINT_FIXTURES must be set')
  finish()
  return
end

-- Sorted "code@line" list of a buffer's diagnostics (0-based lines).
local function summary(buf)
  local items = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(items, string.format('%s@%d', tostring(d.code), d.lnum))
  end
  table.sort(items)
  return table.concat(items, ',')
end

local function expect_summary(buf, expected, what)
  local got = vim.wait(15000, function() return summary(buf) == expected end, 50)
  if not got then
    error(string.format('%s: expected diagnostics [%s], got [%s]', what, expected, summary(buf)))
  end
end

local function start(settings)
  local id = vim.lsp.start_client({
    name = 'virtlint',
    cmd = { 'node', server, '--stdio' },
    root_dir = fixtures,
    settings = settings,
    -- Neovim 0.7 does not announce workspace/configuration; like nvim-lspconfig, push the
    -- settings once the server is up.
    on_init = function(client)
      client.notify('workspace/didChangeConfiguration', { settings = client.config.settings })
    end,
  })
  assert(id, 'vim.lsp.start_client returned nil')
  return id
end

local function open(path, client_id)
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  local buf = vim.api.nvim_get_current_buf()
  assert(vim.lsp.buf_attach_client(buf, client_id), 'buf_attach_client failed')
  return buf
end

local function request(buf, method, params)
  local responses, err = vim.lsp.buf_request_sync(buf, method, params, 10000)
  assert(responses, method .. ' failed: ' .. tostring(err))
  for _, response in pairs(responses) do
    assert(not response.err, method .. ' error: ' .. vim.inspect(response.err))
    return response.result
  end
  error(method .. ': no response')
end

local function line_diagnostics(buf, line)
  return vim.lsp.diagnostic.get_line_diagnostics(buf, line)
end

local client_id = start({ virtlint = { rules = { cpuid = 'error' } } })
local nasm = fixtures .. '/guest.asm'
local gas = fixtures .. '/entry.s'
local nasm_buf

check('NASM file: diagnostics with rule codes and lines, settings from didChangeConfiguration', function()
  nasm_buf = open(nasm, client_id)
  expect_summary(nasm_buf, 'cpuid@8,popf@7,pushf@6,sgdt@4', 'guest.asm')
  for _, d in ipairs(vim.diagnostic.get(nasm_buf)) do
    assert(d.source == 'virtlint', 'source is ' .. tostring(d.source))
    if d.code == 'cpuid' then
      assert(d.severity == vim.diagnostic.severity.ERROR, 'cpuid raised to error by settings')
    end
    if d.code == 'sgdt' then
      assert(d.col == 4 and d.end_col == 15, string.format('sgdt range %d-%d', d.col, d.end_col))
    end
  end
end)

check('hover on SGDT shows the Markdown card', function()
  local result = request(nasm_buf, 'textDocument/hover', {
    textDocument = { uri = vim.uri_from_bufnr(nasm_buf) },
    position = { line = 4, character = 6 },
  })
  assert(result and result.contents, 'no hover')
  local value = result.contents.value or ''
  assert(value:find('SGDT'), 'hover text lacks SGDT: ' .. value:sub(1, 200))
end)

check('code action titles for POPF in vscode-eslint order', function()
  local result = request(nasm_buf, 'textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(nasm_buf) },
    range = { start = { line = 7, character = 0 }, ['end'] = { line = 7, character = 0 } },
    context = { diagnostics = line_diagnostics(nasm_buf, 7) },
  })
  local titles = {}
  for _, action in ipairs(result or {}) do table.insert(titles, action.title) end
  local n = #titles
  assert(n >= 4, 'expected quick fixes plus three more actions, got: ' .. vim.inspect(titles))
  assert(titles[n - 2] == 'Disable popf for this line', vim.inspect(titles))
  assert(titles[n - 1] == 'Disable popf for the entire file', vim.inspect(titles))
  assert(titles[n] == 'Show documentation for popf', vim.inspect(titles))
end)

check('hover on a plain instruction gives one line of facts; a cursor-only code action request works', function()
  local result = request(nasm_buf, 'textDocument/hover', {
    textDocument = { uri = vim.uri_from_bufnr(nasm_buf) },
    position = { line = 5, character = 5 },
  })
  assert(result and result.contents and #result.contents.value > 0, 'no hover on mov')
  assert(not result.contents.value:find('\n\n'), 'expected a compact line: ' .. result.contents.value)
  local actions = request(nasm_buf, 'textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(nasm_buf) },
    range = { start = { line = 6, character = 1 }, ['end'] = { line = 6, character = 1 } },
    context = { diagnostics = {} },
  })
  local titles = {}
  for _, action in ipairs(actions or {}) do table.insert(titles, action.title) end
  assert(vim.tbl_contains(titles, 'Disable pushf for this line'), vim.inspect(titles))
end)

check('edits through nvim_buf_set_lines: diagnostics follow', function()
  vim.api.nvim_buf_set_lines(nasm_buf, 7, 8, false, { '    nop' })
  expect_summary(nasm_buf, 'cpuid@8,pushf@6,sgdt@4', 'after replacing popf')
  vim.api.nvim_buf_set_lines(nasm_buf, 5, 5, false, { '    smsw ax', '    str ax' })
  expect_summary(nasm_buf, 'cpuid@10,pushf@8,sgdt@4,smsw@5,str@6', 'after inserting two lines')
end)

check('GNU as file: diagnostics with rule codes and lines', function()
  local buf = open(gas, client_id)
  expect_summary(buf, 'popf@6,pushf@5,sidt@4,smsw@8', 'entry.s')
  local result = request(buf, 'textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = { start = { line = 8, character = 0 }, ['end'] = { line = 8, character = 0 } },
    context = { diagnostics = line_diagnostics(buf, 8) },
  })
  local disable
  for _, action in ipairs(result or {}) do
    if action.title == 'Disable smsw for this line' then disable = action end
  end
  assert(disable, 'no disable action for smsw')
  local edit = disable.edit.changes[vim.uri_from_bufnr(buf)][1]
  assert(edit.newText:find('^    /%* virtlint%-disable%-next%-line smsw'), 'comment syntax: ' .. edit.newText)
  vim.lsp.util.apply_text_edits({ edit }, buf, 'utf-16')
  expect_summary(buf, 'popf@6,pushf@5,sidt@4', 'after applying the disable comment')
end)

check('C file: one sgdt diagnostic inside the asm string, a hover there, none on C code; the disable comment silences it', function()
  local buf = open(fixtures .. '/guest.c', client_id)
  assert(vim.bo[buf].filetype == 'c', 'filetype is ' .. vim.bo[buf].filetype)
  expect_summary(buf, 'sgdt@7', 'guest.c')
  local line = vim.api.nvim_buf_get_lines(buf, 7, 8, false)[1]
  local col = line:find('sgdt %%0') - 1
  local d = vim.diagnostic.get(buf)[1]
  assert(d.col == col, string.format('sgdt starts at column %d, expected %d', d.col, col))
  local hover = request(buf, 'textDocument/hover', { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = 7, character = col + 1 } })
  assert(hover and hover.contents and (hover.contents.value or ''):find('SGDT'), 'no SGDT hover in the asm string')
  for _, pos in ipairs({ { 5, 5 }, { 6, 10 }, { 3, 6 } }) do
    local none = request(buf, 'textDocument/hover', { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = pos[1], character = pos[2] } })
    assert(none == nil, string.format('a hover at %d:%d on C code', pos[1], pos[2]))
  end
  local actions = request(buf, 'textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = { start = { line = 7, character = 0 }, ['end'] = { line = 7, character = 0 } },
    context = { diagnostics = line_diagnostics(buf, 7) },
  })
  local titles = {}
  for _, action in ipairs(actions or {}) do table.insert(titles, action.title) end
  -- the forced-emulation prefix inside the template comes first, then the disable comment
  assert(vim.deep_equal(titles, { "Prefix SGDT with KVM's forced-emulation marker (needs kvm.force_emulation_prefix=1)", 'Disable sgdt for this line', 'Show documentation for sgdt' }), vim.inspect(titles))
  local edit = actions[2].edit.changes[vim.uri_from_bufnr(buf)][1]
  assert(edit.newText == '\t// virtlint-disable-next-line sgdt -- why this is safe here\n', 'comment: ' .. edit.newText)
  vim.lsp.util.apply_text_edits({ edit }, buf, 'utf-16')
  expect_summary(buf, '', 'after applying the disable comment')
end)

vim.lsp.stop_client(client_id)
vim.wait(2000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
finish()
