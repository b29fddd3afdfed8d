from filter.cli import main

main()
