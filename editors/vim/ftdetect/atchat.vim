" atchat scripts: `.atc` files are atchat's, whatever their first line says.
autocmd BufNewFile,BufRead *.atc setfiletype atchat
