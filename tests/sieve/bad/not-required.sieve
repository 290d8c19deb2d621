# expect: unknown command 'mirror'
mirror;
