// Lets TypeScript accept the stylesheet imports that Vite bundles.
declare module "*.css";
