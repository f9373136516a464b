// Placeholder so the ChatClient target builds until its first real file lands.
enum ChatClientPlaceholder {}
