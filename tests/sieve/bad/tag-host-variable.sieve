# expect: unknown tagged argument ':host' for the mirror command
require ["vnd.standby.mirror", "variables"];
set "host" "evil.example";
mirror :host "${host}";
