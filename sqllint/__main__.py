from sqllint.cli import main

main()
