from empirio_cli.main import main

raise SystemExit(main())
