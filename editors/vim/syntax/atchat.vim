" Vim syntax file
" Language:    atchat, the modem automation language (.atc)
" Maintainer:  the atchat project
"
" Mirrors grammar/atchat.pest; tests/it/editors.rs checks that the keywords below are
" exactly the grammar's keyword rules (kw_*) and the words it spells out in rules
" (`results numeric`, `dtr on`, `wait carrier`), and loads this file in a headless Vim.

if exists("b:current_syntax")
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

" Keywords (the grammar's kw_* rules), grouped for colour only.
syn keyword atchatInclude     use
syn keyword atchatStorage     secret param let proc
syn keyword atchatStatement   command final send expect say print return exit sleep flush hangup escape wait baud
syn keyword atchatStatement   dtr rts break timeout results port
syn keyword atchatModifier    raw pace within idle settle
syn keyword atchatException   on fail ignore
syn keyword atchatRepeat      retry times every
syn keyword atchatConditional if else
syn keyword atchatOperator    and or not
" Words the grammar spells out inside rules.
syn keyword atchatConstant    numeric verbose off carrier

" A result code: whole uppercase words, `OK`, `NO CARRIER`, `+CME ERROR`.
syn match atchatResultCode "+\=\<\u[A-Z0-9_]*\%( \u[A-Z0-9_]*\)*\>"

" `"ATDT{number}\r"`: escapes and `{name}` holes (interpolated in a send, captured in a
" pattern). A string ends at its line's end.
syn region atchatString start=+"+ skip=+\\\\\|\\"+ end=+"+ end=+$+ oneline contains=atchatEscape,atchatHole
syn match atchatEscape contained "\\x\x\x\|\\."
syn match atchatHole   contained "{[a-z_][A-Za-z0-9_]*}"

" Plain integers; `500ms`, `1.5s`, `2m` (defined last, so it wins where both start).
syn match atchatNumber   "\<\d\+\>"
syn match atchatDuration "\<\d\+\%(\.\d\+\)\=\a\+\>"

" `hayes.reset(`, `dial(`: a call or a proc's name (keywords win over matches).
syn match atchatFunction "\<[a-z_][A-Za-z0-9_]*\%(\.[a-z_][A-Za-z0-9_]*\)\=\ze\s*("

syn match atchatArrow "=>"

syn keyword atchatTodo    contained TODO FIXME XXX NOTE
syn match   atchatComment "#.*$" contains=atchatTodo,@Spell

hi def link atchatInclude     Include
hi def link atchatStorage     StorageClass
hi def link atchatStatement   Statement
hi def link atchatModifier    Keyword
hi def link atchatException   Exception
hi def link atchatRepeat      Repeat
hi def link atchatConditional Conditional
hi def link atchatOperator    Operator
hi def link atchatConstant    Constant
hi def link atchatResultCode  Constant
hi def link atchatString      String
hi def link atchatEscape      SpecialChar
hi def link atchatHole        Identifier
hi def link atchatDuration    Number
hi def link atchatNumber      Number
hi def link atchatFunction    Function
hi def link atchatArrow       Operator
hi def link atchatTodo        Todo
hi def link atchatComment     Comment

let b:current_syntax = "atchat"

let &cpo = s:cpo_save
unlet s:cpo_save
